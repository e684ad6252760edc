namespace XraySyslogSink.Storage;

/// <summary>Column limits of the seed schema; values longer than these can never be stored.</summary>
internal static class SchemaLimits
{
    public const int EmailLength = 255;
    public const int EndpointAddressLength = 255;
    public const int TagNameLength = 100;
    public const int ProtocolNameLength = 10;
    public const int ActionLength = 50;

    /// <summary><c>nodes.name</c>, the project's own table.</summary>
    public const int NodeNameLength = 255;
}
