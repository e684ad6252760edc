using XraySyslogSink.Spool;

namespace XraySyslogSink.Tests.Spool;

public sealed class SpoolKeyTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("xraysink-key-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void The_key_is_made_once_readable_by_its_owner_only_and_read_back_after()
    {
        SpoolKey made = SpoolKey.LoadOrCreate(PhysicalSpoolFileSystem.Instance, _directory, keyedSegmentsExist: false);
        string path = Path.Combine(_directory, SpoolKey.FileName);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(32, new FileInfo(path).Length);
        SpoolKey again = SpoolKey.LoadOrCreate(PhysicalSpoolFileSystem.Instance, _directory, keyedSegmentsExist: true);
        Span<byte> macA = stackalloc byte[RecordMac.Length];
        foreach (int format in new[] { SpoolSegment.HmacVersion, SpoolSegment.Blake3Version })
        {
            using RecordMac a = made.CreateMac(format);
            using RecordMac b = again.CreateMac(format);
            a.Compute("x"u8, "y"u8, macA);
            Assert.True(b.Verify("x"u8, "y"u8, macA));
        }
    }

    [Fact]
    public void A_missing_key_beside_keyed_segments_stops_the_start_instead_of_replaying_nothing()
    {
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => SpoolKey.LoadOrCreate(PhysicalSpoolFileSystem.Instance, _directory, keyedSegmentsExist: true));
        Assert.Contains(SpoolKey.FileName, error.Message);
    }

    [Fact]
    public void A_damaged_key_stops_the_start()
    {
        File.WriteAllBytes(Path.Combine(_directory, SpoolKey.FileName), new byte[5]);

        Assert.Throws<InvalidOperationException>(() => SpoolKey.LoadOrCreate(PhysicalSpoolFileSystem.Instance, _directory, keyedSegmentsExist: false));
    }
}
