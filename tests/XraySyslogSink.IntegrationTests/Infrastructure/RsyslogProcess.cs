using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace XraySyslogSink.IntegrationTests.Infrastructure;

/// <summary>
/// A private <c>rsyslogd</c> running one of the node configurations shipped in <c>config/rsyslog/</c>, as an xray
/// node would, but in the foreground with its own work directory and pid file, so it never touches the system
/// instance (the tests load no imuxsock or imklog, so /dev/log and the kernel log stay with the system).
/// </summary>
public sealed class RsyslogProcess : IAsyncDisposable
{
    /// <summary>The literals an operator edits in a shipped file; the tests replace exactly these.</summary>
    public const string ShippedCollectorHost = "\"collector.example.net\"";
    /// <summary>The port literal (<c>Port="5514"</c>, <c>Port="2514"</c> for RELP): whatever number the shipped file has.</summary>
    public static readonly System.Text.RegularExpressions.Regex ShippedCollectorPort = new("(?m)^([^#\n]*?)Port=\"[0-9]+\"");
    public const string ShippedAccessLog = "\"/var/log/xray/access.log\"";

    /// <summary>The certificate paths of the TLS node files (CA, node certificate, node key), unquoted.</summary>
    public static readonly string[] ShippedTlsFiles = ["/etc/rsyslog.d/xraysink/ca.pem", "/etc/rsyslog.d/xraysink/node.pem", "/etc/rsyslog.d/xraysink/node.key"];

    /// <summary>Whether a shipped file names the TLS certificate files (which rsyslog may open when it loads the file).</summary>
    public static bool UsesTlsFiles(string shippedFileName) =>
        File.ReadAllText(Path.Combine(ConfigurationDirectory, shippedFileName)).Contains(ShippedTlsFiles[0], StringComparison.Ordinal);

    /// <summary>The replacement map for <see cref="ShippedTlsFiles"/>.</summary>
    public static Dictionary<string, string> TlsFiles(string ca, string certificate, string key) => new()
    {
        [ShippedTlsFiles[0]] = ca,
        [ShippedTlsFiles[1]] = certificate,
        [ShippedTlsFiles[2]] = key,
    };

    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private RsyslogProcess(Process process)
    {
        _process = process;
    }

    public static string ConfigurationDirectory => Path.Combine(Repository.Root, "config", "rsyslog");

    /// <summary>rsyslogd from the Debian package (/usr/sbin is not on every PATH); fails, never skips, when missing.</summary>
    public static string Executable
    {
        get
        {
            string[] candidates = ["/usr/sbin/rsyslogd", "/sbin/rsyslogd"];
            foreach (string candidate in candidates)
            {
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            {
                string candidate = Path.Combine(directory, "rsyslogd");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            string where = Environment.GetEnvironmentVariable("CI") == "true" ? "on the CI machine " : "";
            throw new InvalidOperationException(
                $"rsyslogd is not installed {where}: scripts/test.sh installs it (apt-get install rsyslog); the rsyslog end-to-end tests cannot run without it");
        }
    }

    /// <summary>
    /// The shipped file <paramref name="shippedFileName"/> with exactly its three operator values replaced and a private
    /// work directory (for imfile's state and the queue files) prepended.
    /// </summary>
    public static string Configuration(string shippedFileName, IPEndPoint collector, string accessLogPath, string workDirectory) =>
        Configuration(shippedFileName, collector, accessLogPath, workDirectory, new Dictionary<string, string>());

    /// <summary>
    /// As above, and also replaces each quoted literal in <paramref name="more"/> (e.g. the TLS certificate paths of
    /// xraysink-forward-tls.conf), each of which must occur exactly once outside comments.
    /// </summary>
    public static string Configuration(string shippedFileName, IPEndPoint collector, string accessLogPath, string workDirectory, IReadOnlyDictionary<string, string> more)
    {
        string shipped = File.ReadAllText(Path.Combine(ConfigurationDirectory, shippedFileName));
        foreach ((string literal, string value) in more)
        {
            shipped = ReplaceOnce(shipped, shippedFileName, Quoted(literal), Quoted(value));
        }

        shipped = ReplaceOnce(shipped, shippedFileName, ShippedCollectorHost, Quoted(collector.Address.ToString()));
        shipped = ReplacePortOnce(shipped, shippedFileName, "Port=" + Quoted(collector.Port.ToString(CultureInfo.InvariantCulture)));
        shipped = ReplaceOnce(shipped, shippedFileName, ShippedAccessLog, Quoted(accessLogPath));
        return $"# generated by the tests from config/rsyslog/{shippedFileName}\nglobal(workDirectory={Quoted(workDirectory)})\n{shipped}";
    }

    /// <summary>The port literal as the shipped file writes it.</summary>
    public static string ShippedPortLiteral(string shippedFileName)
    {
        System.Text.RegularExpressions.Match match = ShippedCollectorPort.Match(File.ReadAllText(Path.Combine(ConfigurationDirectory, shippedFileName)));
        return match.Value[match.Groups[1].Length..];
    }

    private static string ReplacePortOnce(string text, string fileName, string replacement)
    {
        int count = ShippedCollectorPort.Count(text);
        if (count != 1)
        {
            throw new InvalidOperationException($"config/rsyslog/{fileName} must contain one Port=\"…\" literal; found {count}");
        }

        return ShippedCollectorPort.Replace(text, match => match.Groups[1].Value + replacement, 1);
    }

    /// <summary>
    /// A node in a fresh subdirectory of <paramref name="parent"/>: an empty access.log (returned) and a work directory,
    /// running <paramref name="shippedFileName"/> with its operator values (and <paramref name="files"/>) replaced, then
    /// <paramref name="edit"/> applied to the text.
    /// </summary>
    public static RsyslogProcess StartNode(string shippedFileName, IPEndPoint collector, string parent, IReadOnlyDictionary<string, string> files, Func<string, string> edit, out string accessLog)
    {
        string node = Directory.CreateDirectory(Path.Combine(parent, "node-" + Guid.NewGuid().ToString("N"))).FullName;
        accessLog = Path.Combine(node, "access.log");
        File.WriteAllBytes(accessLog, []);
        string work = Directory.CreateDirectory(Path.Combine(node, "work")).FullName;
        return Start(edit(Configuration(shippedFileName, collector, accessLog, work, files)), node);
    }

    /// <summary>Starts <c>rsyslogd -n</c> on a configuration written to <paramref name="directory"/>.</summary>
    public static RsyslogProcess Start(string configuration, string directory)
    {
        string configPath = Path.Combine(directory, "rsyslog.conf");
        File.WriteAllText(configPath, configuration);
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in (string[])["-n", "-f", configPath, "-i", Path.Combine(directory, "rsyslogd.pid")])
        {
            start.ArgumentList.Add(argument);
        }

        Process process = Process.Start(start) ?? throw new InvalidOperationException("could not start rsyslogd");
        var rsyslog = new RsyslogProcess(process);
        process.OutputDataReceived += (_, e) => rsyslog.Collect(e.Data);
        process.ErrorDataReceived += (_, e) => rsyslog.Collect(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return rsyslog;
    }

    /// <summary>Runs <c>rsyslogd -N1</c> (configuration check) on <paramref name="configuration"/>; returns the exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> ValidateAsync(string configuration, string directory)
    {
        string configPath = Path.Combine(directory, "rsyslog-check.conf");
        await File.WriteAllTextAsync(configPath, configuration);
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in (string[])["-N1", "-f", configPath])
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException("could not start rsyslogd -N1");
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }

    public bool HasExited => _process.HasExited;

    /// <summary>What rsyslogd printed so far (its own errors land here, there being no other output for them).</summary>
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

    /// <summary>SIGTERM, as systemd stops it: rsyslogd sends or saves what its queues hold and exits; killed after 15 s.</summary>
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
            throw new TimeoutException($"rsyslogd did not stop within {StopTimeout.TotalSeconds} s after SIGTERM and was killed:\n{Output}");
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

    private static string Quoted(string value) => "\"" + value + "\"";

    // Only configuration lines count: the file's comments quote the same values to tell operators what to edit.
    private static string ReplaceOnce(string text, string fileName, string literal, string replacement)
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
                $"config/rsyslog/{fileName} must set {literal} exactly once (the value operators edit and the tests replace); found {found}");
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
