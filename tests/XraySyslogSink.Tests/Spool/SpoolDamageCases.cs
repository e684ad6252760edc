using CsCheck;
using XraySyslogSink.Spool;

namespace XraySyslogSink.Tests.Spool;

/// <summary>
/// Generated damage to spool files (flipped bytes, overwritten runs, cut files) and payloads that sometimes carry
/// record-shaped sender bytes, for the property tests of replay after damage.
/// </summary>
internal static class SpoolDamageCases
{
    public static readonly Gen<byte[]> Payloads = Gen.Frequency(
        (6, Gen.Byte.Array[0, 200]),
        (1, Gen.Long.Select(sequence => Forgery(sequence))));

    public static readonly Gen<Damage> Damages = Gen.Select(Gen.Int[0, 100], Gen.Int[0, 2], Gen.Int[0, int.MaxValue], Gen.Int[1, 300])
        .Select((file, kind, at, length) => new Damage(file, kind, at, length));

    /// <summary>Damages the files among <paramref name="paths"/> as told; returns the byte ranges touched in each.</summary>
    public static Dictionary<string, List<(long From, long To)>> Apply(SimulatedFileSystem files, IReadOnlyList<string> paths, Damage[] damages)
    {
        var damaged = new Dictionary<string, List<(long From, long To)>>();
        foreach (Damage damage in damages)
        {
            string path = paths[damage.File % paths.Count];
            byte[] contents = files.Contents(path);
            if (contents.Length == 0)
            {
                continue;
            }

            int at = damage.At % contents.Length;
            List<(long, long)> ranges = damaged.GetValueOrDefault(path) ?? [];
            damaged[path] = ranges;
            switch (damage.Kind)
            {
                case 0:
                    contents[at] ^= (byte)(1 + (damage.Length % 255));
                    ranges.Add((at, at + 1));
                    break;
                case 1:
                    int end = Math.Min(contents.Length, at + damage.Length);
                    Array.Fill(contents, (byte)damage.Length, at, end - at);
                    ranges.Add((at, end));
                    break;
                default:
                    ranges.Add((at, long.MaxValue));
                    contents = contents[..at];
                    break;
            }

            files.Replace(path, contents);
        }

        return damaged;
    }

    /// <summary>Whether no damage touched the <paramref name="size"/> bytes at <paramref name="offset"/> of <paramref name="path"/>.</summary>
    public static bool Untouched(Dictionary<string, List<(long From, long To)>> damaged, string path, long offset, int size) =>
        !damaged.TryGetValue(path, out List<(long From, long To)>? ranges) || ranges.All(r => r.To <= offset || r.From >= offset + size);

    /// <summary>Sender bytes shaped as records of every format (the keyed ones under a guessed key, the old one with a correct CRC).</summary>
    private static byte[] Forgery(long sequence)
    {
        using RecordMacs guessed = new SpoolKey(new byte[32]).CreateMacs();
        long forged = Math.Max(1, Math.Abs(sequence % 100));
        return [
            .. SpoolRecordTests.Write(forged, "forged"u8.ToArray(), guessed.For(SpoolSegment.HmacVersion)!),
            .. SpoolRecordTests.Write(forged, "forged"u8.ToArray(), guessed.For(SpoolSegment.Blake3Version)!),
            .. SpoolRecordTests.WriteLegacy(forged, "forged"u8.ToArray()),
        ];
    }

    /// <summary>One damage: which file (modulo their number), flip (0), overwrite (1) or cut (2), where, how long.</summary>
    internal sealed record Damage(int File, int Kind, int At, int Length);
}
