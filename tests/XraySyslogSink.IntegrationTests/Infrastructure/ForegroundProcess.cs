using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace XraySyslogSink.IntegrationTests.Infrastructure;

/// <summary>
/// A node-side daemon (rsyslogd, syslog-ng) the tests run in the foreground: its output collected for failure
/// messages, stopped with SIGTERM as systemd would, killed at dispose if still running.
/// </summary>
public sealed class ForegroundProcess : IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    private readonly Process _process;
    private readonly string _name;
    private readonly StringBuilder _output = new();

    private ForegroundProcess(Process process, string name)
    {
        _process = process;
        _name = name;
    }

    public static ForegroundProcess Start(ProcessStartInfo start, string name)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        Process process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + name);
        var started = new ForegroundProcess(process, name);
        process.OutputDataReceived += (_, e) => started.Collect(e.Data);
        process.ErrorDataReceived += (_, e) => started.Collect(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    public bool HasExited => _process.HasExited;

    /// <summary>What the daemon printed so far (its own errors land here, there being no other output for them).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>SIGTERM, as systemd stops it (the daemon sends or saves what its queues hold); killed after 15 s.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        using (Process kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(StopTimeout);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            throw new TimeoutException($"{_name} did not stop within {StopTimeout.TotalSeconds} s after SIGTERM and was killed:\n{Output}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone between the check and the kill.
        }

        _process.Dispose();
    }

    /// <summary>
    /// Replaces <paramref name="literal"/> on configuration lines only (the shipped files' comments quote the same
    /// values to tell operators what to edit); it must occur exactly once there.
    /// </summary>
    public static string ReplaceOnce(string text, string shippedPath, string literal, string replacement)
    {
        string[] lines = text.Split('\n');
        int found = 0;
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].TrimStart().StartsWith('#'))
            {
                continue;
            }

            int at = lines[i].IndexOf(literal, StringComparison.Ordinal);
            if (at >= 0)
            {
                found += lines[i].IndexOf(literal, at + literal.Length, StringComparison.Ordinal) >= 0 ? 2 : 1;
                lines[i] = string.Concat(lines[i].AsSpan(0, at), replacement, lines[i].AsSpan(at + literal.Length));
            }
        }

        if (found != 1)
        {
            throw new InvalidOperationException(
                $"{shippedPath} must set {literal} exactly once (the value operators edit and the tests replace); found {found}");
        }

        return string.Join('\n', lines);
    }

    private void Collect(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
