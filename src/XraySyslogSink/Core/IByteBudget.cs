namespace XraySyslogSink.Core;

/// <summary>A bound on bytes held in memory that a holder gives back when it lets go of them.</summary>
internal interface IByteBudget
{
    /// <summary>Gives back <paramref name="bytes"/> taken earlier.</summary>
    void Release(long bytes);
}
