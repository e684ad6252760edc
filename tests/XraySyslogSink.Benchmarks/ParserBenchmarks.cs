using BenchmarkDotNet.Attributes;
using XraySyslogSink.LoadGenerator;
using XraySyslogSink.Syslog;
using XraySyslogSink.Xray;

namespace XraySyslogSink.Benchmarks;

/// <summary>Xray access-line parsing (the syslog MSG only), over the mix of forms.</summary>
[MemoryDiagnoser]
public class XrayLineBenchmarks
{
    private byte[][] _lines = [];

    [GlobalSetup]
    public void Setup() => _lines = Lines.Messages(HeaderStyle.None);

    [Benchmark(OperationsPerInvoke = Lines.Count)]
    public int ParseXrayLine()
    {
        int access = 0;
        foreach (byte[] line in _lines)
        {
            if (XrayLineParser.Parse(line, out XrayAccessLine parsed, out _) == XrayLineKind.Access)
            {
                access += parsed.SourcePort;
            }
        }

        return access;
    }
}

/// <summary>Syslog header parsing per header format.</summary>
[MemoryDiagnoser]
public class SyslogHeaderBenchmarks
{
    private byte[][] _messages = [];

    [Params("RFC5424", "RFC3164", "OpenWrt")]
    public string Format { get; set; } = "RFC5424";

    [GlobalSetup]
    public void Setup() => _messages = Format switch
    {
        "RFC5424" => Lines.Messages(HeaderStyle.Rfc5424),
        "RFC3164" => Lines.Messages(HeaderStyle.Rfc3164),
        _ => Lines.OpenWrtMessages(),
    };

    [Benchmark(OperationsPerInvoke = Lines.Count)]
    public int ParseHeader()
    {
        int length = 0;
        foreach (byte[] message in _messages)
        {
            SyslogMessage parsed = SyslogHeaderParser.Parse(message);
            length += parsed.Message.Length;
        }

        return length;
    }
}
