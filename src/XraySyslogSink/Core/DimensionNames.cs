namespace XraySyslogSink.Core;

/// <summary>
/// The seed schema's dimension tables by name: storage resolves values into them, and the per-dimension metrics
/// and dead-letter reasons name them.
/// </summary>
internal static class DimensionNames
{
    public const string Users = "users";
    public const string Protocols = "protocols";
    public const string Endpoints = "endpoints";
    public const string Tags = "tags";

    public static readonly IReadOnlyList<string> All = [Users, Protocols, Endpoints, Tags];
}
