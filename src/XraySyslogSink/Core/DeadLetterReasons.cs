namespace XraySyslogSink.Core;

/// <summary>Dead-letter reasons that arise after parsing, when a value cannot fit the schema or the database refuses it.</summary>
internal static class DeadLetterReasons
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

    /// <summary>
    /// The database refused a record (a constraint, an encoding): the start of its dead-letter reason and the
    /// reason the <c>xraysink.lines.dead_lettered</c> counter carries.
    /// </summary>
    public const string DatabaseRejectedRow = "database rejected row";

    /// <summary>The dead-letter reason of a refused record: <see cref="DatabaseRejectedRow"/>, the SQLSTATE and the server's message.</summary>
    public static string DatabaseRejected(string sqlState, string message) => $"{DatabaseRejectedRow}: {sqlState} {message}";
}
