namespace XraySyslogSink.Storage;

/// <summary>
/// Keys for <c>pg_advisory_xact_lock</c>, shared by every daemon writing to the same database so that
/// concurrent DDL is serialised instead of failing with 42P07/23505 on the catalog's unique indexes.
/// </summary>
internal static class AdvisoryLockKeys
{
    /// <summary>"XRAYSINK" + 1: schema migration.</summary>
    public const long Migration = 0x5852_4159_5349_4E01;

    /// <summary>"XRAYSINK" + 2: creation of daily <c>logs</c> partitions.</summary>
    public const long Partitions = 0x5852_4159_5349_4E02;

    /// <summary>
    /// "XRI" + 1: first key of the session lock an import holds on its content, the second being the first four bytes
    /// of its SHA-256 (the two-key form never collides with the single-key locks above).
    /// </summary>
    public const int Import = 0x5852_4901;
}
