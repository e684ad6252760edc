using System.Diagnostics;
using System.Globalization;
using System.Text;
using XraySyslogSink.IntegrationTests.EndToEnd;
using XraySyslogSink.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace XraySyslogSink.IntegrationTests.Rsyslog;

/// <summary>
/// What happens to lines when the access log is cut under a running rsyslog (the shipped
/// xraysink-forward.conf, imfile with reopenOnTruncate="on") while xray keeps writing: truncated in place as
/// 3x-ui's IP-limit job does, and rotated by real logrotate with the shipped copytruncate file. Every line has a
/// unique timestamp, so loss and duplicates are counted in <c>logs</c>; the tests print both.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class AccessLogTruncationTests(PostgresServer postgres, ITestOutputHelper output) : IDisposable
{
    /// <summary>Lines per write: xray flushes its log line by line; a chunk stands for a burst between two imfile reads.</summary>
    public const int ChunkLines = 20;
    private const int Chunks = 250;
    private const int Lines = ChunkLines * Chunks;
    private static readonly TimeSpan ChunkInterval = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan CutInterval = TimeSpan.FromSeconds(1);

    private const string DistinctLines = "SELECT count(DISTINCT \"timestamp\") FROM logs";

    private readonly string _directory = Directory.CreateTempSubdirectory("xraysink-truncation-").FullName;

    public static string ShippedLogrotateFile => Path.Combine(Repository.Root, "config", "logrotate", "xray-access");

    [Fact]
    public async Task Truncating_the_log_as_3x_ui_does_while_xray_writes_loses_at_most_the_unread_burst_per_cut_and_duplicates_nothing()
    {
        (int cuts, long lost, long duplicates, long deadLetters) = await WriteWhileCuttingAsync("truncate", TruncateInPlace);

        AssertWithinBound(cuts, lost, duplicates, deadLetters);
    }

    [Fact]
    public async Task Rotating_the_log_with_logrotate_copytruncate_while_xray_writes_loses_at_most_the_unread_burst_per_rotation_and_duplicates_nothing()
    {
        string configuration = Path.Combine(_directory, "logrotate.conf");
        string state = Path.Combine(_directory, "logrotate.state");
        string? accessLogPath = null;
        (int cuts, long lost, long duplicates, long deadLetters) = await WriteWhileCuttingAsync("logrotate copytruncate", async accessLog =>
        {
            if (accessLogPath is null)
            {
                accessLogPath = accessLog;
                await File.WriteAllTextAsync(configuration, LogrotateConfiguration(accessLog));
            }

            (int exitCode, string text) = await ExternalTool.RunAsync(ExternalTool.Find("logrotate", "logrotate"), ["-f", "-s", state, configuration], TimeSpan.FromSeconds(30));
            Assert.True(exitCode == 0, "logrotate failed: " + text);
        });

        // What rsyslog missed is not gone: it is in the rotated copies (the newest uncompressed, delaycompress).
        Assert.True(File.Exists(accessLogPath + ".1"), "logrotate should have left access.log.1");
        AssertWithinBound(cuts, lost, duplicates, deadLetters);
    }

    [Fact]
    public async Task Without_reopenOnTruncate_the_same_truncation_loses_lines()
    {
        // What the shipped option fixes: imfile keeps its old position and skips what is written before the file
        // grows past it again.
        (int cuts, long lost, long duplicates, long deadLetters) = await WriteWhileCuttingAsync("truncate, reopenOnTruncate off", TruncateInPlace, text => text.Replace("reopenOnTruncate=\"on\"", "reopenOnTruncate=\"off\"", StringComparison.Ordinal));

        Assert.True(cuts >= 3, $"only {cuts} cuts happened while writing");
        Assert.True(lost > (long)cuts * ChunkLines, $"lost {lost}: expected more than the bound the shipped option keeps");
        // imfile also resumes mid-line at its stale position: the line fragments become dead letters.
        Assert.InRange(deadLetters, 0, cuts);
        Assert.Equal(0, duplicates);
    }

    [Fact]
    public void Every_shipped_rsyslog_file_follows_truncation_and_none_skips_the_start_of_a_new_file()
    {
        foreach (string file in Directory.GetFiles(RsyslogProcess.ConfigurationDirectory, "*.conf"))
        {
            string[] lines = [.. File.ReadAllLines(file).Where(l => !l.TrimStart().StartsWith('#'))];
            Assert.True(lines.Any(l => l.Contains("reopenOnTruncate=\"on\"", StringComparison.Ordinal)), $"{Path.GetFileName(file)} lacks reopenOnTruncate=\"on\"");
            Assert.False(lines.Any(l => l.Contains("freshStartTail", StringComparison.Ordinal)), $"{Path.GetFileName(file)} sets freshStartTail (docs/nodes.md: import the backlog instead)");
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>As 3x-ui's IP-limit job does after reading access.log: empties it in place (same inode).</summary>
    private static Task TruncateInPlace(string accessLog)
    {
        using var file = new FileStream(accessLog, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        file.SetLength(0);
        return Task.CompletedTask;
    }

    /// <summary>The shipped logrotate file with exactly its path replaced.</summary>
    public static string LogrotateConfiguration(string accessLog)
    {
        string shipped = File.ReadAllText(ShippedLogrotateFile);
        const string Path = "\n/var/log/xray/access.log {\n";
        Assert.Equal(1, CountOf(shipped, Path));
        return shipped.Replace(Path, $"\n{accessLog} {{\n", StringComparison.Ordinal);
    }

    private static int CountOf(string text, string value)
    {
        int count = 0;
        for (int at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    // The bound: a cut can only take lines rsyslog had not read yet, and imfile (inotify) reads each write as it
    // lands, so a cut loses at most the burst written just before it. Nothing is ever read twice.
    private static void AssertWithinBound(int cuts, long lost, long duplicates, long deadLetters)
    {
        Assert.Equal(0, deadLetters);
        Assert.True(cuts >= 3, $"only {cuts} cuts happened while writing");
        Assert.InRange(lost, 0, (long)cuts * ChunkLines);
        Assert.Equal(0, duplicates);
    }

    private async Task<(int Cuts, long Lost, long Duplicates, long DeadLetters)> WriteWhileCuttingAsync(string what, Func<string, Task> cut, Func<string, string>? edit = null)
    {
        await using SinkUnderTest sink = await SinkUnderTest.StartAsync(await postgres.CreateDatabaseAsync());
        await using RsyslogProcess rsyslog = RsyslogProcess.StartNode("xraysink-forward.conf", sink.TcpEndPoint, _directory, new Dictionary<string, string>(), edit ?? (text => text), out string accessLog);
        // imfile watches the file from the moment it is up.
        await Task.Delay(TimeSpan.FromMilliseconds(500));

        Task writer = AppendWithOAppendAsync(accessLog);
        int cuts = 0;
        while (!writer.IsCompleted)
        {
            await Task.WhenAny(writer, Task.Delay(CutInterval));
            if (!writer.IsCompleted)
            {
                await cut(accessLog);
                cuts++;
            }
        }

        await writer;
        await Database.WaitForSettledCountAsync(sink.ConnectionString, DistinctLines, Lines, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(30));
        Assert.False(rsyslog.HasExited, "rsyslogd exited:\n" + rsyslog.Output);
        await rsyslog.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(1));
        long distinct = await Database.ScalarAsync<long>(sink.ConnectionString, DistinctLines);
        long rows = await Database.ScalarAsync<long>(sink.ConnectionString, "SELECT count(*) FROM logs");
        long deadLetters = await Database.ScalarAsync<long>(sink.ConnectionString, "SELECT count(*) FROM dead_letters");
        long lost = Lines - distinct;
        long duplicates = rows - distinct;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what}: {Lines} lines written in bursts of {ChunkLines} every {ChunkInterval.TotalMilliseconds} ms, {cuts} cuts ({CutInterval.TotalSeconds} s apart): lost {lost}, duplicates {duplicates}, dead letters {deadLetters}"));
        return (cuts, lost, duplicates, deadLetters);
    }

    /// <summary>
    /// Appends as xray does: its log file is opened with O_APPEND, so after a truncation the next write lands at the
    /// new end (offset 0) instead of leaving a hole. The shell's <c>&gt;&gt;</c> opens the file that way; <c>cat</c>
    /// passes each burst on.
    /// </summary>
    private static async Task AppendWithOAppendAsync(string accessLog)
    {
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, UseShellExecute = false };
        foreach (string argument in (string[])["-c", "exec cat >> \"$1\"", "sh", accessLog])
        {
            start.ArgumentList.Add(argument);
        }

        using Process cat = Process.Start(start) ?? throw new InvalidOperationException("could not start sh");
        Stream input = cat.StandardInput.BaseStream;
        for (int chunk = 0; chunk < Chunks; chunk++)
        {
            byte[] burst = Encoding.UTF8.GetBytes(string.Concat(RelpTests.LinesFrom(chunk * ChunkLines, ChunkLines).Select(line => line + "\n")));
            await input.WriteAsync(burst);
            await input.FlushAsync();
            await Task.Delay(ChunkInterval);
        }

        cat.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await cat.WaitForExitAsync(timeout.Token);
    }
}
