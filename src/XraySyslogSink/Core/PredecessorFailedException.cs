namespace XraySyslogSink.Core;

/// <summary>The batch before failed while this one waited to commit: roll back, and begin again once it has committed.</summary>
internal sealed class PredecessorFailedException : Exception
{
    public PredecessorFailedException()
        : base("The previous batch failed before it committed; this batch rolls back and is written again after it.")
    {
    }

    public PredecessorFailedException(string message)
        : base(message)
    {
    }

    public PredecessorFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
