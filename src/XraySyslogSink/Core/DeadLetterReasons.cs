namespace XraySyslogSink.Core;

/// <summary>Dead-letter reasons that arise after parsing, when a value cannot fit the schema.</summary>
public static class DeadLetterReasons
{
    public const string EmailTooLong = "email longer than 255 characters";
    public const string EndpointTooLong = "destination longer than 255 characters";
    public const string TagTooLong = "tag longer than 100 characters";
    public const string ProtocolTooLong = "protocol longer than 10 characters";
    public const string NulInValue = "NUL byte in a value";
    public const string InternalError = "internal error while parsing";

    /// <summary>Event time older than <c>Xray:AcceptWindowBack</c> before the message was received.</summary>
    public const string BeforeAcceptWindow = "event time before the accept window";

    /// <summary>Event time more than <c>Xray:AcceptWindowAhead</c> after the message was received.</summary>
    public const string AfterAcceptWindow = "event time after the accept window";
}
