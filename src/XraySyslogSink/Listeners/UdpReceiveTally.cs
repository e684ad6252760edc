using XraySyslogSink.Core;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Listeners;

/// <summary>
/// One UDP receive loop's counts, reported to <see cref="SinkMetrics"/> in bulk (every <see cref="ReportEvery"/>
/// datagrams, at least every <see cref="ReportInterval"/> while datagrams come, and when the loop goes idle) rather than per datagram:
/// at hundreds of thousands of datagrams a second the instruments' per-call cost was a large share of the loop's.
/// </summary>
internal sealed class UdpReceiveTally(SinkMetrics metrics, string notAllowed, string spoolFull)
{
    public const int ReportEvery = 1024;
    public const long ReportInterval = 100;

    private long _lastReport = Environment.TickCount64;
    private int _pending;
    private long _received;
    private long _bytes;
    private long _notAllowed;
    private long _spoolFull;

    private long _reported;

    /// <summary>Datagrams from allowed sources this loop has reported so far (readable from any thread).</summary>
    public long Reported => Volatile.Read(ref _reported);

    public void Received(int bytes)
    {
        _received++;
        _bytes += bytes;
        Tick();
    }

    public void NotAllowed()
    {
        _notAllowed++;
        Tick();
    }

    public void SpoolFull(int count) => _spoolFull += count;

    /// <summary>Hands the counts so far to the metrics.</summary>
    public void Report()
    {
        _pending = 0;
        _lastReport = Environment.TickCount64;
        if (_received > 0)
        {
            metrics.MessagesReceived(Transport.Udp, _received, _bytes);
            Volatile.Write(ref _reported, _reported + _received);
            _received = 0;
            _bytes = 0;
        }

        if (_notAllowed > 0)
        {
            metrics.UdpDropped(notAllowed, _notAllowed);
            _notAllowed = 0;
        }

        if (_spoolFull > 0)
        {
            metrics.UdpDropped(spoolFull, _spoolFull);
            _spoolFull = 0;
        }
    }

    private void Tick()
    {
        if (++_pending >= ReportEvery || Environment.TickCount64 - _lastReport >= ReportInterval)
        {
            Report();
        }
    }
}
