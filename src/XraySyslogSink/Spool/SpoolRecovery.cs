namespace XraySyslogSink.Spool;

/// <summary>
/// The crash-recovery scan at start: finds the segment files, reads the last ones to learn the highest
/// sequence number that survived, deletes what the database has committed, and says where numbering resumes.
/// </summary>
internal static class SpoolRecovery
{
    /// <summary>What the scan found.</summary>
    /// <param name="NextSequence">The number the next appended message gets: after everything on disk and everything committed.</param>
    /// <param name="LastOnDisk">Highest sequence number of a trusted record on disk (0 when none).</param>
    internal sealed record Result(long NextSequence, long LastOnDisk);

    /// <summary>Lists the segments of <paramref name="directory"/> (of every format: a spool may hold several after an upgrade), in sequence order.</summary>
    public static List<SpoolSegment> Find(ISpoolFileSystem fileSystem, string directory)
    {
        List<SpoolSegment> found = [];
        foreach (string path in fileSystem.List(directory, SpoolSegment.Extension))
        {
            if (SpoolSegment.TryParseName(Path.GetFileName(path), out long first, out int version))
            {
                var segment = new SpoolSegment(directory, first, version);
                segment.Length = segment.WrittenLength = fileSystem.Length(path);
                found.Add(segment);
            }
        }

        // Segments of two formats cannot share a first number (a new segment starts after every earlier one's last);
        // should they, the later format's is read after.
        found.Sort((a, b) => a.FirstSequence != b.FirstSequence ? a.FirstSequence.CompareTo(b.FirstSequence) : a.Version.CompareTo(b.Version));
        return found;
    }

    /// <summary>
    /// Fills <paramref name="ledger"/> with the segments still needed after <paramref name="checkpoint"/> (the
    /// database's committed position) and deletes the rest.
    /// </summary>
    public static Result Recover(ISpoolFileSystem fileSystem, List<SpoolSegment> found, RecordMacs macs, long checkpoint, SegmentLedger ledger, TimeProvider time)
    {
        // Drop same-numbered duplicates (see Find), keeping the later format's, so sequence order is strict.
        for (int i = found.Count - 2; i >= 0; i--)
        {
            if (found[i].FirstSequence == found[i + 1].FirstSequence)
            {
                fileSystem.Delete(found[i].Path);
                found.RemoveAt(i);
            }
        }

        long lastOnDisk = 0;
        for (int i = found.Count - 1; i >= 0 && lastOnDisk == 0; i--)
        {
            long upperBound = i + 1 < found.Count ? found[i + 1].FirstSequence - 1 : long.MaxValue;
            lastOnDisk = LastTrustedSequence(fileSystem, found[i], macs, upperBound, time);
        }

        for (int i = 0; i < found.Count; i++)
        {
            SpoolSegment segment = found[i];
            segment.LastSequence = i + 1 < found.Count ? found[i + 1].FirstSequence - 1 : Math.Max(lastOnDisk, segment.FirstSequence - 1);
            bool holdsNoMessage = segment.Length <= (segment.IsKeyed ? SpoolRecord.HeaderLength : 0);
            if (segment.IsCommitted(checkpoint) || holdsNoMessage)
            {
                fileSystem.Delete(segment.Path);
                continue;
            }

            ledger.Add(segment);
        }

        ledger.Commit(checkpoint);
        long next = Math.Max(lastOnDisk, checkpoint) + 1;
        if (ledger.Segments.Count > 0)
        {
            // A last segment without one trusted record (its start torn in a crash) still names its first number:
            // the next segment must not reuse that name.
            next = Math.Max(next, ledger.Segments[^1].FirstSequence + 1);
        }

        return new Result(next, lastOnDisk);
    }

    private static long LastTrustedSequence(ISpoolFileSystem fileSystem, SpoolSegment segment, RecordMacs macs, long upperBound, TimeProvider time)
    {
        using var reader = new SegmentReader(fileSystem.OpenRead(segment.Path), segment, macs, 0, segment.FirstSequence, upperBound, time);
        long last = 0;
        while (reader.TryReadNext(segment.Length, out SpoolRecordView record, out _))
        {
            last = record.Sequence;
        }

        return last;
    }
}
