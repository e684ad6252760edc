using System.Reflection;
using System.Text;
using XraySyslogSink.LoadGenerator;

namespace XraySyslogSink.Benchmarks;

/// <summary>The benchmark inputs: the load generator's mix of forms plus the real corpus lines that become rows.</summary>
internal static class Lines
{
    /// <summary>Lines per benchmark operation.</summary>
    public const int Count = 1024;

    /// <summary><see cref="Count"/> messages: generated ones with <paramref name="header"/>, every 16th a real corpus line under the same header.</summary>
    public static byte[][] Messages(HeaderStyle header)
    {
        var factory = new LineFactory(new LineFactoryOptions { Header = header, Seed = 7 });
        var bare = new LineFactory(new LineFactoryOptions { Header = HeaderStyle.None, Seed = 7 });
        List<string> real = RealRows();
        var messages = new byte[Count][];
        byte[] buffer = new byte[LineFactory.MaxMessageBytes];
        for (int i = 0; i < Count; i++)
        {
            if (i % 16 == 15 && real.Count > 0)
            {
                // Same header as the generated line, with a real body.
                int full = factory.Write(i, buffer);
                int body = bare.Write(i, buffer.AsSpan(LineFactory.MaxMessageBytes / 2));
                byte[] prefix = buffer.AsSpan(0, full - body).ToArray();
                messages[i] = [.. prefix, .. Encoding.UTF8.GetBytes(real[i / 16 % real.Count])];
            }
            else
            {
                messages[i] = buffer.AsSpan(0, factory.Write(i, buffer)).ToArray();
            }
        }

        return messages;
    }

    /// <summary>OpenWrt logread messages: <c>Thu Oct 13 07:50:16 2022 daemon.info xray[23519]: </c> and a generated body.</summary>
    public static byte[][] OpenWrtMessages()
    {
        byte[][] bodies = Messages(HeaderStyle.None);
        byte[] prefix = "Thu Oct 13 07:50:16 2022 daemon.info xray[23519]: "u8.ToArray();
        return [.. bodies.Select(b => (byte[])[.. prefix, .. b])];
    }

    private static List<string> RealRows()
    {
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("real-lines.tsv")!;
        using var reader = new StreamReader(stream);
        var rows = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            string[] cells = line.Split('\t');
            if (cells.Length > 3 && cells[3] == "row" && cells[2].Length > 0 && char.IsAsciiDigit(cells[2][0]))
            {
                rows.Add(cells[2]);
            }
        }

        return rows;
    }
}
