using System.Globalization;

namespace XraySyslogSink.Spool;

/// <summary>One segment file: named by its first sequence number (and format), appended to while it is the active one.</summary>
internal sealed class SpoolSegment
{
    /// <summary>Every segment file name ends so; a keyed (version 2) one in <c>.v2.seg</c>, an old unkeyed one in just <c>.seg</c>.</summary>
    public const string Extension = ".seg";

    public const string KeyedSuffix = ".v2" + Extension;

    public SpoolSegment(string directory, long firstSequence, int version = 2)
    {
        FirstSequence = firstSequence;
        LastSequence = firstSequence - 1;
        Version = version;
        Path = System.IO.Path.Combine(directory, firstSequence.ToString("D20", CultureInfo.InvariantCulture) + (version == 2 ? KeyedSuffix : Extension));
    }

    public long FirstSequence { get; }

    /// <summary>Record format: 2 (<see cref="SpoolRecord"/>) or 1 (<see cref="LegacySpoolRecord"/>, read only).</summary>
    public int Version { get; }

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

    /// <summary>Whether every message in the segment is committed, so the file may go.</summary>
    public bool IsCommitted(long committed) => LastSequence <= committed;

    public static bool TryParseName(string fileName, out long firstSequence, out int version)
    {
        version = fileName.EndsWith(KeyedSuffix, StringComparison.Ordinal) ? 2 : 1;
        int suffix = version == 2 ? KeyedSuffix.Length : Extension.Length;
        firstSequence = 0;
        return fileName.EndsWith(Extension, StringComparison.Ordinal)
            && long.TryParse(fileName.AsSpan(0, fileName.Length - suffix), NumberStyles.None, CultureInfo.InvariantCulture, out firstSequence)
            && firstSequence > 0;
    }
}
