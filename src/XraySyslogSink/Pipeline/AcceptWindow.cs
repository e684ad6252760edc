using XraySyslogSink.Core;

namespace XraySyslogSink.Pipeline;

/// <summary>
/// Which event times live traffic may have, relative to when the message was received: from <see cref="Back"/>
/// before to <see cref="Ahead"/> after. A line outside it goes to dead letters instead of creating a partition
/// for a wrong clock's year (2099, 1970). <see cref="None"/> accepts every time: the history import uses it.
/// </summary>
/// <remarks>
/// The window is part of how an <see cref="AccessRecordBuilder"/> is constructed, not a global setting: the
/// daemon passes <see cref="FromOptions"/> (<c>Xray:AcceptWindowBack</c> / <c>Xray:AcceptWindowAhead</c>),
/// the importer <see cref="None"/>. The receive time is the one kept in the spool, so a line replayed after an
/// outage is judged by when it arrived, not by when it is parsed.
/// </remarks>
internal readonly record struct AcceptWindow
{
    public AcceptWindow(TimeSpan back, TimeSpan ahead)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(back, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ahead, TimeSpan.Zero);
        Back = back;
        Ahead = ahead;
    }

    /// <summary>Every event time is accepted (history import).</summary>
    public static AcceptWindow None => default;

    /// <summary>How far before the receive time an event may lie.</summary>
    public TimeSpan Back { get; }

    /// <summary>How far after the receive time an event may lie (clock skew of the node).</summary>
    public TimeSpan Ahead { get; }

    public bool IsNone => Back == TimeSpan.Zero;

    /// <summary>The window the daemon applies to live traffic.</summary>
    public static AcceptWindow FromOptions(Xray.XrayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new AcceptWindow(options.AcceptWindowBack, options.AcceptWindowAhead);
    }

    /// <summary>Null when <paramref name="eventUtc"/> is inside the window around <paramref name="receivedAt"/>, else the dead-letter reason.</summary>
    public string? Check(DateTime eventUtc, DateTimeOffset receivedAt)
    {
        if (IsNone)
        {
            return null;
        }

        long received = receivedAt.UtcTicks;
        long ticks = eventUtc.Ticks;
        if (ticks < received - Back.Ticks)
        {
            return DeadLetterReasons.BeforeAcceptWindow;
        }

        return ticks > received + Ahead.Ticks ? DeadLetterReasons.AfterAcceptWindow : null;
    }
}
