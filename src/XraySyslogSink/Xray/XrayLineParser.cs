namespace XraySyslogSink.Xray;

/// <summary>Parses one Xray/v2fly access-log line (the syslog MSG) without allocating.</summary>
public static class XrayLineParser
{
    /// <summary>
    /// Classifies <paramref name="line"/> and, for <see cref="XrayLineKind.Access"/>, fills <paramref name="access"/>.
    /// For <see cref="XrayLineKind.Malformed"/>, <paramref name="reason"/> says why.
    /// </summary>
    public static XrayLineKind Parse(ReadOnlySpan<byte> line, out XrayAccessLine access, out XrayMalformedReason reason)
    {
        throw new NotImplementedException();
    }
}
