using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace XraySyslogSink.IntegrationTests.Infrastructure;

/// <summary>Starts the daemon's build output (<c>src/XraySyslogSink/bin/&lt;Configuration&gt;/net10.0/xraysink.dll</c>) as a child process.</summary>
public static class DaemonProcess
{
    public static string DllPath
    {
        get
        {
            string configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
            return Path.Combine(Repository.Root, "src", "XraySyslogSink", "bin", configuration, "net10.0", "xraysink.dll");
        }
    }

    /// <summary>
    /// Starts the daemon; without a <c>--Spool:Directory</c> argument it gets a fresh temporary one, and the metrics
    /// endpoint is off unless the test passes <c>--Metrics:Listen</c> (so daemons in parallel tests do not compete for 9464).
    /// </summary>
    public static Process Start(params string[] arguments)
    {
        arguments = ["--Metrics:Listen=", .. arguments];
        if (!Array.Exists(arguments, a => a.StartsWith("--Spool:Directory=", StringComparison.Ordinal)))
        {
            arguments = [$"--Spool:Directory={NewSpoolDirectory()}", .. arguments];
        }

        arguments = [TestSettings.WideAcceptWindow, .. arguments];

        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(DllPath);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process = Process.Start(start) ?? throw new InvalidOperationException("could not start the daemon");
        // Keep the pipes drained so the daemon never blocks on a full stdout.
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        return process;
    }

    /// <summary>A path under the temp directory for a spool (not created; the daemon creates it).</summary>
    public static string NewSpoolDirectory() => Path.Combine(Path.GetTempPath(), "xraysink-spool-" + Guid.NewGuid().ToString("N"));

    public static async Task WaitForPortAsync(int port, Process daemon)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (daemon.HasExited)
            {
                throw new InvalidOperationException($"the daemon exited with {daemon.ExitCode}{await ErrorTextAsync(daemon)}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(200);
            }
        }

        throw new TimeoutException($"the daemon did not listen on port {port} within 60 s");
    }

    // A caller that reads stderr through events already holds the text; reading the stream again would throw and
    // hide why the daemon exited.
    private static async Task<string> ErrorTextAsync(Process daemon)
    {
        try
        {
            return ": " + await daemon.StandardError.ReadToEndAsync();
        }
        catch (InvalidOperationException)
        {
            return " (its stderr is captured by the test)";
        }
    }

    public static void SendSigterm(Process process)
    {
        using Process kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }
}
