using System.Globalization;

namespace XraySyslogSink.Spool;

/// <summary>One segment file: named by its first sequence number (and format), appended to while it is the active one.</summary>
internal sealed class SpoolSegment
{
    /// <summary>Every segment file name ends so: a keyed one in <c>.vN.seg</c> (its format N), an old unkeyed one in just <c>.seg</c>.</summary>
    public const string Extension = ".seg";

    /// <summary>Format 1: unkeyed records checked by CRC-32C (<see cref="LegacySpoolRecord"/>, read only).</summary>
    public const int LegacyVersion = 1;

    /// <summary>Format 2: <see cref="SpoolRecord"/>s sealed by HMAC-SHA256 (<see cref="HmacRecordMac"/>, read only).</summary>
    public const int HmacVersion = 2;

    /// <summary>Format 3: <see cref="SpoolRecord"/>s sealed by keyed BLAKE3 (<see cref="Blake3RecordMac"/>); what new segments are.</summary>
    public const int Blake3Version = 3;

    /// <summary>The format new segments are written in.</summary>
    public const int CurrentVersion = Blake3Version;

    public SpoolSegment(string directory, long firstSequence, int version = CurrentVersion)
    {
        FirstSequence = firstSequence;
        LastSequence = firstSequence - 1;
        Version = version;
        Path = System.IO.Path.Combine(directory, firstSequence.ToString("D20", CultureInfo.InvariantCulture) + SuffixOf(version));
    }

    public long FirstSequence { get; }

    /// <summary>Record format: <see cref="CurrentVersion"/>, or an earlier one (read only).</summary>
    public int Version { get; }

    /// <summary>Whether the segment's records carry a MAC under the spool key (every format after the first).</summary>
    public bool IsKeyed => Version != LegacyVersion;

    public string Path { get; }

    /// <summary>Highest sequence number in the file (<see cref="FirstSequence"/> − 1 while empty).</summary>
    public long LastSequence { get; set; }

    /// <summary>Bytes appended, including those still in the writer's buffer.</summary>
    public long Length { get; set; }

    /// <summary>Bytes handed to the operating system.</summary>
    public long WrittenLength { get; set; }

    /// <summary>When the segment was begun (from its start record; null when unknown: an old or damaged segment).</summary>
    public DateTimeOffset? CreatedAt { get; set; }

    /// <summary>Open for writing until its last sync after it stopped being the active segment.</summary>
    public ISpoolFile? File { get; set; }

    /// <summary>Written since the last fsync.</summary>
    public bool Dirty { get; set; }

    /// <summary>The writer's buffers holding bytes of this segment not yet written: the file must stay until they are.</summary>
    public int UnwrittenBuffers { get; set; }

    /// <summary>Whether every message in the segment is committed, so the file may go.</summary>
    public bool IsCommitted(long committed) => LastSequence <= committed;

    /// <summary>The file name suffix of format <paramref name="version"/>: <c>.seg</c>, <c>.v2.seg</c>, <c>.v3.seg</c>.</summary>
    public static string SuffixOf(int version) =>
        version == LegacyVersion ? Extension : ".v" + version.ToString(CultureInfo.InvariantCulture) + Extension;

    /// <summary>
    /// Reads a segment file name: its first sequence number and format. False for a name that is no segment's; a
    /// segment of a format this version does not know (a later release's) throws, since skipping it would lose its lines.
    /// </summary>
    public static bool TryParseName(string fileName, out long firstSequence, out int version)
    {
        firstSequence = 0;
        version = LegacyVersion;
        if (!fileName.EndsWith(Extension, StringComparison.Ordinal))
        {
            return false;
        }

        ReadOnlySpan<char> stem = fileName.AsSpan(0, fileName.Length - Extension.Length);
        int dot = stem.LastIndexOf(".v");
        if (dot >= 0)
        {
            if (!int.TryParse(stem[(dot + 2)..], NumberStyles.None, CultureInfo.InvariantCulture, out version) || version <= LegacyVersion)
            {
                return false;
            }

            stem = stem[..dot];
        }

        if (!long.TryParse(stem, NumberStyles.None, CultureInfo.InvariantCulture, out firstSequence) || firstSequence <= 0)
        {
            return false;
        }

        return version <= CurrentVersion
            ? true
            : throw new InvalidOperationException($"Spool segment {fileName} has format {version}, written by a later xraysink than this one (it reads formats up to {CurrentVersion}); run that version until its spool is empty, or remove the file (its lines are then lost).");
    }
}
