namespace XraySyslogSink.Syslog;

/// <summary>Splits a syslog message into header fields and MSG; never fails (unknown input is headerless).</summary>
public static class SyslogHeaderParser
{
    public static SyslogMessage Parse(ReadOnlySpan<byte> message)
    {
        throw new NotImplementedException();
    }
}
