using System.Text;
using XraySyslogSink.Fuzz;
using XraySyslogSink.Tests.Corpus;

namespace XraySyslogSink.Tests.FuzzFindings;

/// <summary>
/// Every input a fuzz target ever crashed or hung on (<c>FuzzFindings/&lt;target&gt;/*.bin</c>) passes that target
/// now, and the real-line corpus passes every target, so the targets' invariants are themselves tested in CI.
/// </summary>
public sealed class FuzzFindingsTests
{
    public static TheoryData<string, string> Findings()
    {
        var data = new TheoryData<string, string>();
        string root = Path.Combine(AppContext.BaseDirectory, "FuzzFindings");
        foreach (string target in FuzzTargets.Names)
        {
            string folder = Path.Combine(root, target);
            if (!Directory.Exists(folder))
            {
                continue;
            }

            foreach (string file in Directory.GetFiles(folder, "*.bin").Order(StringComparer.Ordinal))
            {
                data.Add(target, Path.GetFileName(file));
            }
        }

        return data;
    }

    [Fact]
    public void Every_finding_folder_names_a_target_and_holds_findings()
    {
        Assert.Equal(["framing", "syslog-header", "xray-record"], FuzzTargets.Names.Order(StringComparer.Ordinal));
        Assert.NotEmpty(Findings());
    }

    [Theory]
    [MemberData(nameof(Findings))]
    public void A_past_finding_passes_its_target(string target, string file)
    {
        Assert.True(FuzzTargets.TryGet(target, out Func<FuzzTarget>? factory));
        byte[] input = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "FuzzFindings", target, file));

        factory()(input);
    }

    [Fact]
    public void The_real_line_corpus_passes_every_target()
    {
        FuzzTargets.TryGet("syslog-header", out Func<FuzzTarget>? header);
        FuzzTargets.TryGet("xray-record", out Func<FuzzTarget>? record);
        FuzzTargets.TryGet("framing", out Func<FuzzTarget>? framing);
        FuzzTarget headerTarget = header!(), recordTarget = record!(), framingTarget = framing!();
        var stream = new List<byte>([0, 0x7F, 42]);
        foreach (RealLine line in RealLine.All)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(line.Message);
            headerTarget(bytes);
            recordTarget(bytes);
            byte[] wrapped = Encoding.UTF8.GetBytes("<30>1 2025-11-17T10:00:00Z node-1 xray - - - " + line.Message);
            headerTarget(wrapped);
            recordTarget(wrapped);
            stream.AddRange(Encoding.ASCII.GetBytes($"{wrapped.Length} "));
            stream.AddRange(wrapped);
            stream.AddRange(bytes);
            stream.Add((byte)'\n');
        }

        framingTarget([.. stream]);
        framingTarget([200, 3, 7, .. stream[3..]]);
    }
}
