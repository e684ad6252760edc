using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace XraySyslogSink.IntegrationTests.Infrastructure;

/// <summary>The built daemon as a child process with a fixed TCP port and spool directory, its log lines kept for assertions.</summary>
public sealed class LoggedDaemon : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();

    private LoggedDaemon(Process process, int port)
    {
        _process = process;
        Port = port;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                _lines.Enqueue(e.Data);
            }
        };
        _process.BeginOutputReadLine();
    }

    public int Port { get; }

    public Process Process => _process;

    public IReadOnlyCollection<string> Lines => _lines;

    /// <summary>Starts the daemon as the least-privilege writer role on the database of the superuser's <paramref name="connectionString"/>.</summary>
    public static async Task<LoggedDaemon> StartAsync(string connectionString, string spoolDirectory, int port, params string[] arguments)
    {
        string writer = await DatabaseRoles.PrepareWriterAsync(connectionString);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in (string[])[DaemonProcess.DllPath, $"--ConnectionStrings:Postgres={writer}", $"--Spool:Directory={spoolDirectory}", $"--Listeners:Tcp=127.0.0.1:{port}", "--Listeners:Udp=", "--Metrics:Listen=", TestSettings.WideAcceptWindow, .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        var daemon = new LoggedDaemon(Process.Start(start) ?? throw new InvalidOperationException("could not start the daemon"), port);
        await DaemonProcess.WaitForPortAsync(port, daemon._process);
        return daemon;
    }

    public static int FreeTcpPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Log lines at ERROR level (or worse).</summary>
    public List<string> Errors() => [.. _lines.Where(l => l.Contains(" ERROR ", StringComparison.Ordinal) || l.Contains(" FATAL ", StringComparison.Ordinal))];

    public void KillHard()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public bool StopGracefully(TimeSpan timeout)
    {
        DaemonProcess.SendSigterm(_process);
        return _process.WaitForExit(timeout) && _process.ExitCode == 0;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
