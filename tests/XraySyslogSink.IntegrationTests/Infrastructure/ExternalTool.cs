using System.Diagnostics;
using System.Text;

namespace XraySyslogSink.IntegrationTests.Infrastructure;

/// <summary>
/// A Debian-packaged program the tests drive (promtool, prometheus, haproxy, logrotate): found in the usual
/// directories whether or not they are on PATH, failing (never skipping) with what scripts/test.sh installs.
/// </summary>
public static class ExternalTool
{
    public static string Find(string name, string package)
    {
        string[] directories = ["/usr/bin", "/usr/sbin", "/bin", "/sbin", .. (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)];
        foreach (string directory in directories)
        {
            string candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"{name} is not installed: scripts/test.sh installs it (apt-get install {package})");
    }

    /// <summary>Runs a program to its end (killed after <paramref name="timeout"/>); returns its exit code and both outputs.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string executable, IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + executable);
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{executable} did not finish within {timeout.TotalSeconds} s");
        }

        return (process.ExitCode, await output + await error);
    }

    /// <summary>Starts a long-running program with its output collected into <paramref name="output"/>.</summary>
    public static Process Start(string executable, IEnumerable<string> arguments, StringBuilder output)
    {
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + executable);
        DataReceivedEventHandler collect = (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (output)
                {
                    output.AppendLine(e.Data);
                }
            }
        };
        process.OutputDataReceived += collect;
        process.ErrorDataReceived += collect;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Kills a started program if it still runs and waits for it.</summary>
    public static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
            // Gone between the check and the kill.
        }

        process.Dispose();
    }
}
