namespace XraySyslogSink.Spool;

/// <summary>One segment file: named by its first sequence number, appended to while it is the active one.</summary>
internal sealed class SpoolSegment
{
    public const string Extension = ".seg";

    public SpoolSegment(string directory, long firstSequence)
    {
        FirstSequence = firstSequence;
        LastSequence = firstSequence - 1;
        Path = System.IO.Path.Combine(directory, firstSequence.ToString("D20", System.Globalization.CultureInfo.InvariantCulture) + Extension);
    }

    public long FirstSequence { get; }

    public string Path { get; }

    /// <summary>Highest sequence number in the file (<see cref="FirstSequence"/> − 1 while empty).</summary>
    public long LastSequence { get; set; }

    /// <summary>Bytes appended, including those still in the spool's write buffer.</summary>
    public long Length { get; set; }

    /// <summary>Bytes handed to the operating system.</summary>
    public long WrittenLength { get; set; }

    /// <summary>Open for writing until its last sync after it stopped being the active segment.</summary>
    public FileStream? File { get; set; }

    /// <summary>Written since the last fsync.</summary>
    public bool Dirty { get; set; }

    public static bool TryParseName(string fileName, out long firstSequence)
    {
        firstSequence = 0;
        return fileName.EndsWith(Extension, StringComparison.Ordinal)
            && long.TryParse(fileName.AsSpan(0, fileName.Length - Extension.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out firstSequence)
            && firstSequence > 0;
    }
}
