using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;
using XraySyslogSink.Core;
using XraySyslogSink.Pipeline;
using XraySyslogSink.Storage;
using XraySyslogSink.Xray;

namespace XraySyslogSink.Import;

/// <summary>Where an import stands, reported after every chunk of lines and after every commit.</summary>
/// <param name="Name">The input as given.</param>
/// <param name="Lines">Lines read (committed ones skipped on resume included).</param>
/// <param name="LinesTotal">Lines in the input.</param>
/// <param name="LinesCommitted">Lines whose rows are committed.</param>
/// <param name="Bytes">Bytes of the stored file read so far.</param>
/// <param name="BytesTotal">Bytes of the stored file.</param>
/// <param name="Rows">Rows committed by this run.</param>
internal readonly record struct ImportProgress(string Name, long Lines, long LinesTotal, long LinesCommitted, long Bytes, long BytesTotal, long Rows);

/// <summary>What importing one input did.</summary>
internal sealed class ImportResult(string name, string sha256, long linesTotal, long resumedAfter)
{
    public string Name { get; } = name;

    public string Sha256 { get; } = sha256;

    public long LinesTotal { get; } = linesTotal;

    /// <summary>Lines already committed by an earlier run (all of them: the input was imported before).</summary>
    public long ResumedAfter { get; } = resumedAfter;

    public bool AlreadyImported => ResumedAfter >= LinesTotal;

    /// <summary>Lines read and processed by this run.</summary>
    public long LinesRead { get; set; }

    public long Rows { get; set; }

    /// <summary>Rows of <c>dead_letters</c> written: unparseable lines and rows the database refused.</summary>
    public long DeadLetters { get; set; }

    /// <summary>Lines skipped by kind (<c>internal_dns</c>, <c>dns_query_log</c>, <c>error_log</c>, <c>empty</c>).</summary>
    public SortedDictionary<string, long> Skipped { get; } = new(StringComparer.Ordinal);

    /// <summary>Lines that became dead letters, by reason (stored or not).</summary>
    public SortedDictionary<string, long> DeadLettered { get; } = new(StringComparer.Ordinal);

    /// <summary>Dead letters over <c>Pipeline:DeadLettersPerSecond</c>, counted but not stored.</summary>
    public long Suppressed { get; set; }

    public TimeSpan Elapsed { get; set; }
}

/// <summary>
/// <c>xraysink import</c>'s engine: reads an input line by line and sends each through the daemon's own
/// <see cref="AccessRecordBuilder"/> (syslog header, xray line, time zones, dimensions, dead letters) and
/// <see cref="PostgresLogStore"/> (partitions, COPY, bisection of bad rows), one batch per transaction, with the
/// input's <see cref="ImportFileCheckpoint"/> advanced in that transaction. Lines of any age are accepted.
/// </summary>
internal sealed partial class LogImporter
{
    private const int MaxFlushAttempts = 8;
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(10);

    private readonly NpgsqlDataSource _dataSource;
    private readonly DimensionCaches _caches;
    private readonly SenderTimeZones _zones;
    private readonly PipelineOptions _pipeline;
    private readonly int _batchSize;
    private readonly TimeProvider _timeProvider;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger<LogImporter> _logger;

    public LogImporter(
        NpgsqlDataSource dataSource,
        DimensionCaches caches,
        SenderTimeZones zones,
        PipelineOptions pipeline,
        int batchSize,
        TimeProvider timeProvider,
        ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(loggers);
        _dataSource = dataSource;
        _caches = caches;
        _zones = zones;

        // One builder, so the per-second dead-letter ceiling is not divided among workers; an explicit import keeps
        // every dead letter the configuration allows.
        _pipeline = new PipelineOptions
        {
            ParserWorkers = 1,
            DeadLettersPerSecond = pipeline.DeadLettersPerSecond,
            DeadLetterBytesPerDay = pipeline.DeadLetterBytesPerDay,
            DeadLetterMaxRawBytes = pipeline.DeadLetterMaxRawBytes,
        };
        _batchSize = batchSize;
        _timeProvider = timeProvider;
        _loggers = loggers;
        _logger = loggers.CreateLogger<LogImporter>();
    }

    /// <summary>Told after every chunk of lines and every commit; on the importing thread.</summary>
    public Action<ImportProgress>? Progress { get; init; }

    /// <summary>
    /// The node every imported line is attributed to (<c>xraysink import --node NAME</c>), or <c>default</c>: then a
    /// line's syslog HOSTNAME names its node when it has one, else the row has no node.
    /// </summary>
    public NodeIdentity Node { get; init; }

    public async Task<ImportResult> ImportAsync(ImportSource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        long started = Stopwatch.GetTimestamp();
        (string sha256, long linesTotal) = source.Fingerprint(cancellationToken);
        var checkpoint = new ImportFileCheckpoint(sha256);
        await using IAsyncDisposable held = await checkpoint.TryLockAsync(_dataSource, cancellationToken)
            ?? throw new InvalidOperationException($"{source.Name}: another xraysink import of the same content is running");
        long committed = await checkpoint.RegisterAsync(_dataSource, source.Name, linesTotal, cancellationToken);
        var result = new ImportResult(source.Name, sha256, linesTotal, Math.Min(committed, linesTotal));
        if (result.AlreadyImported)
        {
            result.Elapsed = Stopwatch.GetElapsedTime(started);
            return result;
        }

        var store = new PostgresLogStore(_dataSource, _caches, _loggers.CreateLogger<PostgresLogStore>()) { Checkpoint = checkpoint };
        AccessRecordBuilder builder = CreateBuilder(_caches, _zones, _pipeline, _timeProvider);
        using FileStream raw = source.OpenRaw();
        using Stream content = ImportSource.Content(raw);
        using var reader = new LineReader(content);
        while (reader.LineNumber < committed && reader.TryReadLine(out _))
        {
        }

        List<RecordChunk> batch = [];
        int batchRows = 0;
        long empty = 0;
        bool more = true;
        try
        {
            while (more)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var chunk = new RecordChunk();
                long first = reader.LineNumber + 1;
                more = Fill(reader, builder, chunk, source.ModifiedAt, Node, ref empty);
                if (reader.LineNumber >= first)
                {
                    chunk.CoverSequences(first, reader.LineNumber);
                    batch.Add(chunk);
                    batchRows += chunk.Count;
                    builder.ChunkSent();
                }
                else
                {
                    chunk.Release();
                }

                if (batch.Count > 0 && (batchRows >= _batchSize || !more))
                {
                    await FlushAsync(store, batch, result, cancellationToken);
                    committed = reader.LineNumber;
                    batchRows = 0;
                }

                Progress?.Invoke(new ImportProgress(source.Name, reader.LineNumber, linesTotal, committed, raw.Position, source.Length, result.Rows));
            }
        }
        finally
        {
            foreach (RecordChunk chunk in batch)
            {
                chunk.Release();
            }

            result.LinesRead = reader.LineNumber - result.ResumedAfter;
            Summarise(builder.Counts, empty, result);
            result.Elapsed = Stopwatch.GetElapsedTime(started);
        }

        return result;
    }

    /// <summary>
    /// The import's record builder. Import takes lines of ANY age: a live-traffic accept window (a timestamp window
    /// protecting the daemon's partitions from senders with broken clocks) must not be applied here; construct the
    /// builder with no window.
    /// </summary>
    // History is old by definition: no accept window (the daemon's Xray:AcceptWindow is for live traffic).
    internal static AccessRecordBuilder CreateBuilder(DimensionCaches caches, SenderTimeZones zones, PipelineOptions options, TimeProvider timeProvider) =>
        new(caches, zones, options, timeProvider, AcceptWindow.None);

    /// <summary>Builds up to one chunk's worth of lines (each line makes at most one record); false at the end of the input.</summary>
    private static bool Fill(LineReader reader, AccessRecordBuilder builder, RecordChunk chunk, DateTimeOffset receivedAt, NodeIdentity node, ref long empty)
    {
        for (int i = 0; i < RecordChunk.DefaultCapacity; i++)
        {
            if (!reader.TryReadLine(out ReadOnlySpan<byte> line))
            {
                return false;
            }

            if (line.Trim((byte)' ').Trim((byte)'\t').IsEmpty)
            {
                empty++;
                continue;
            }

            ReceivedMessage message = ReceivedMessage.Copy(line, default, Transport.Import, receivedAt, node);
            try
            {
                builder.Append(message, chunk);
            }
            catch (Exception)
            {
                // As in the daemon's parser workers: a parser bug costs one line (kept as a dead letter), not the import.
                builder.AppendInternalError(message, chunk);
            }
            finally
            {
                message.Release();
            }
        }

        return true;
    }

    private static void Summarise(LineCounts counts, long empty, ImportResult result)
    {
        foreach (XrayLineKind kind in (XrayLineKind[])[XrayLineKind.SkippedInternalDns, XrayLineKind.SkippedDnsQuery, XrayLineKind.SkippedErrorLog])
        {
            if (counts.SkippedSinceReport(kind) > 0)
            {
                result.Skipped[kind.Name()] = counts.SkippedSinceReport(kind);
            }
        }

        if (empty > 0)
        {
            result.Skipped["empty"] = empty;
        }

        foreach ((string reason, long count) in counts.DeadLetteredSinceReport)
        {
            result.DeadLettered[reason] = count;
        }

        result.Suppressed = counts.SuppressedSinceReport;
    }

    /// <summary>Writes the batch, retrying a transient failure (the store is safe to call again with the same chunks).</summary>
    private async Task FlushAsync(PostgresLogStore store, List<RecordChunk> batch, ImportResult result, CancellationToken cancellationToken)
    {
        var backoff = new RetryBackoff(FirstRetryDelay, MaxRetryDelay, _timeProvider, MaxFlushAttempts);
        while (true)
        {
            try
            {
                FlushResult flushed = await store.WriteBatchAsync(batch, cancellationToken);
                result.Rows += flushed.RowsWritten;
                result.DeadLetters += flushed.DeadLettersWritten;
                break;
            }
            catch (Exception ex) when (backoff.CanRetry && PostgresErrors.IsTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                LogRetrying(backoff.Attempt, backoff.NextDelay, ex.Message);
                await backoff.WaitAfterFailureAsync(cancellationToken);
            }
        }

        foreach (RecordChunk chunk in batch)
        {
            chunk.Release();
        }

        batch.Clear();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing a batch failed (attempt {Attempt}: {Error}); retrying in {Delay}")]
    private partial void LogRetrying(int attempt, TimeSpan delay, string error);
}
