namespace XraySyslogSink.Pipeline;

/// <summary>Dead-letter reasons that arise after parsing, when a value cannot fit the schema.</summary>
public static class DeadLetterReasons
{
    public const string EmailTooLong = "email longer than 255 characters";
    public const string EndpointTooLong = "destination longer than 255 characters";
    public const string TagTooLong = "tag longer than 100 characters";
    public const string ProtocolTooLong = "protocol longer than 10 characters";
    public const string NulInValue = "NUL byte in a value";
    public const string InternalError = "internal error while parsing";
}
