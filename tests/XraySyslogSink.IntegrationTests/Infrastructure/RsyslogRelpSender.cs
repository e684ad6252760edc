using System.Net;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace XraySyslogSink.IntegrationTests.Infrastructure;

/// <summary>
/// A private rsyslogd (Debian packages <c>rsyslog</c> and <c>rsyslog-relp</c>) tailing its own access.log with
/// <c>imfile</c> and forwarding every line with <c>omrelp</c>, as <c>config/rsyslog/xraysink-forward-relp.conf</c>
/// does on a node. It has its own work directory, configuration and pid file and loads no other input.
/// </summary>
public sealed class RsyslogRelpSender : IAsyncDisposable
{
    /// <summary>The node configuration this sender runs, as shipped for operators.</summary>
    public const string ShippedFile = "xraysink-forward-relp.conf";

    /// <summary>omrelp's window (librelp's default, set explicitly): at most this many messages are unacknowledged.</summary>
    public const int WindowSize = 128;

    private readonly Process _process;
    private readonly StringBuilder _errors = new();

    private RsyslogRelpSender(string directory, Process process)
    {
        Directory = directory;
        _process = process;
        _process.ErrorDataReceived += (_, e) => { lock (_errors) { _errors.AppendLine(e.Data); } };
        _process.OutputDataReceived += (_, e) => { lock (_errors) { _errors.AppendLine(e.Data); } };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    public string Directory { get; }

    public string AccessLog => Path.Combine(Directory, "access.log");

    /// <summary>What rsyslogd printed (its own errors, e.g. omrelp reconnect attempts).</summary>
    public string Output
    {
        get
        {
            lock (_errors)
            {
                return _errors.ToString();
            }
        }
    }

    public static async Task<RsyslogRelpSender> StartAsync(int port)
    {
        string directory = System.IO.Directory.CreateTempSubdirectory("xraysink-rsyslog-").FullName;
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "work"));
        await File.WriteAllTextAsync(Path.Combine(directory, "access.log"), "");
        string configuration = RsyslogProcess.Configuration(
            ShippedFile, new IPEndPoint(IPAddress.Loopback, port), Path.Combine(directory, "access.log"), Path.Combine(directory, "work"));
        string configPath = Path.Combine(directory, "rsyslog.conf");
        await File.WriteAllTextAsync(configPath, configuration);

        var start = new ProcessStartInfo(RsyslogProcess.Executable)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { "-n", "-f", configPath, "-i", Path.Combine(directory, "rsyslogd.pid") })
        {
            start.ArgumentList.Add(argument);
        }

        Process process = Process.Start(start) ?? throw new InvalidOperationException("could not start rsyslogd");
        var sender = new RsyslogRelpSender(directory, process);

        // imfile watches the file from the moment it is up; give it a beat so no early line is read as "old".
        await Task.Delay(500);
        if (process.HasExited)
        {
            throw new InvalidOperationException($"rsyslogd exited with {process.ExitCode}: {sender.Output}");
        }

        return sender;
    }

    /// <summary>Appends lines to the tailed file, as xray does.</summary>
    public async Task WriteLinesAsync(IEnumerable<string> lines)
    {
        var text = new StringBuilder();
        foreach (string line in lines)
        {
            text.Append(line).Append('\n');
        }

        await File.AppendAllTextAsync(AccessLog, text.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using (Process kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
