using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace XraySyslogSink.Hosting;

/// <summary>
/// Runs the <see cref="JitWarmUp"/> during start. It begins on its own thread as the host starts (while the schema
/// migration waits on PostgreSQL) and is waited for in this service's place in the start order, after the schema
/// and before the spool opens (its replay is the first per-row work) and the listeners accept: its time counts as
/// start-up, not as the first batch's. <c>Runtime:JitWarmUp=false</c> leaves the compilation to each method's first use.
/// </summary>
internal sealed partial class JitWarmUpService : IHostedLifecycleService, IDisposable
{
    private static volatile JitWarmUpResult? _processResult;

    private readonly RuntimeOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<JitWarmUpService> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _warmUp;
    private bool _disposed;

    public JitWarmUpService(IOptions<RuntimeOptions> options, TimeProvider timeProvider, ILogger<JitWarmUpService> logger)
    {
        _options = options.Value;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>The warm-up's result once it ran; null while none ran (the setting off, or not started yet).</summary>
    public JitWarmUpResult? Result { get; private set; }

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        if (!_options.JitWarmUp)
        {
            LogOff();
            return Task.CompletedTask;
        }

        if (_processResult is { } done)
        {
            // Compiled code belongs to the process: a second host in it (the tests start many) has nothing to compile.
            Result = done;
            return Task.CompletedTask;
        }

        CancellationToken stopping = _stopping.Token;
        _warmUp = Task.Factory.StartNew(() => WarmUp(stopping), stopping, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        return Task.CompletedTask;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_warmUp is not null)
        {
            await _warmUp.WaitAsync(cancellationToken);
        }
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        // A start that failed (the database refused us) or a stop during start: the walk ends at its next method.
        if (!_disposed)
        {
            _stopping.Cancel();
        }

        return Task.CompletedTask;
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        // Registered as itself and as a hosted service: the container disposes it twice.
        if (!_disposed)
        {
            _disposed = true;
            _stopping.Cancel();
            _stopping.Dispose();
        }
    }

    private void WarmUp(CancellationToken stopping)
    {
        long started = _timeProvider.GetTimestamp();
        TimeSpan processCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        TimeSpan jitBefore = System.Runtime.JitInfo.GetCompilationTime(currentThread: true);
        JitWarmUpResult result;
        try
        {
            result = JitWarmUp.Run(JitWarmUp.HotTypes(typeof(JitWarmUpService).Assembly), cancellationToken: stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The warm-up only moves compilation earlier: whatever it could not do happens at first use instead.
            LogAbandoned(ex.GetType().Name, ex.Message);
            return;
        }

        double wallMs = _timeProvider.GetElapsedTime(started).TotalMilliseconds;
        double jitMs = (System.Runtime.JitInfo.GetCompilationTime(currentThread: true) - jitBefore).TotalMilliseconds;
        double processCpuMs = (Process.GetCurrentProcess().TotalProcessorTime - processCpuBefore).TotalMilliseconds;
        Result = result;
        _processResult = result;
        LogDone(result.Prepared, result.Compiled, result.Types, result.Skipped, result.Failed, result.Unresolved, wallMs, jitMs, processCpuMs);
        foreach (string failure in result.FailureSamples)
        {
            LogFailure(failure);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "JIT warm-up off (Runtime:JitWarmUp=false): the per-row code compiles at its first use")]
    private partial void LogOff();

    [LoggerMessage(Level = LogLevel.Information,
        Message = "JIT warm-up: {Prepared} methods prepared ({Compiled} compiled) over {Types} types, {Skipped} skipped, {Failed} failed, {Unresolved} call sites unresolved; {WallMs:F0} ms wall, {JitMs:F0} ms of it compiling; the process used {ProcessCpuMs:F0} ms CPU meanwhile (the schema's start included)")]
    private partial void LogDone(int prepared, long compiled, int types, int skipped, int failed, int unresolved, double wallMs, double jitMs, double processCpuMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "JIT warm-up abandoned ({Error}: {Message}); the rest compiles at first use")]
    private partial void LogAbandoned(string error, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "JIT warm-up could not prepare {Failure}")]
    private partial void LogFailure(string failure);
}
