using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using XraySyslogSink.Spool;

namespace XraySyslogSink.Tests.Spool;

/// <summary>
/// The real spool file gives its pages back to the kernel once they are synced or read (the spool reads each byte at
/// most once): residency is read with mincore(2) on a mapping of the file, which maps without touching any page.
/// The files live beside the test binaries, on a disk file system: tmpfs pages cannot leave the cache.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class PhysicalSpoolFileTests : IDisposable
{
    private const int PageSize = 4096;
    private readonly string _directory = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "spool-file-tests", Guid.NewGuid().ToString("N"))).FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Synced_pages_leave_the_page_cache_and_read_back_unchanged()
    {
        string path = Path.Combine(_directory, "a.seg");
        byte[] data = Pattern(4 * 1024 * 1024);
        using ISpoolFile file = PhysicalSpoolFileSystem.Instance.Create(path);
        file.Write(data, 0);
        Assert.True(ResidentPages(path) > 0, "written pages are cached until they are on the disk");

        file.FlushToDisk();

        Assert.Equal(0, ResidentPages(path));
        using ISpoolFile reader = PhysicalSpoolFileSystem.Instance.OpenRead(path);
        byte[] back = new byte[data.Length];
        Assert.Equal(data.Length, ReadAll(reader, back));
        Assert.Equal(data, back);
        Assert.Equal(0, ResidentPages(path));
    }

    [Fact]
    public void Bytes_written_but_not_synced_stay_readable_while_their_neighbours_are_released()
    {
        string path = Path.Combine(_directory, "b.seg");
        byte[] first = Pattern(1024 * 1024);
        byte[] second = Pattern(1024 * 1024, seed: 7);
        using ISpoolFile file = PhysicalSpoolFileSystem.Instance.Create(path);
        file.Write(first, 0);
        file.FlushToDisk();
        file.Write(second, first.Length);

        // The replay reads what is not yet synced (the read releases the range; dirty pages stay until written).
        using ISpoolFile reader = PhysicalSpoolFileSystem.Instance.OpenRead(path);
        byte[] back = new byte[first.Length + second.Length];
        Assert.Equal(back.Length, ReadAll(reader, back));
        Assert.Equal(first, back[..first.Length]);
        Assert.Equal(second, back[first.Length..]);

        file.FlushToDisk();
        Assert.Equal(0, ResidentPages(path));
    }

    [Fact]
    public void With_the_release_off_synced_pages_stay_cached()
    {
        string path = Path.Combine(_directory, "c.seg");
        using ISpoolFile file = PhysicalSpoolFileSystem.KeepingPageCache.Create(path);
        file.Write(Pattern(1024 * 1024), 0);
        file.FlushToDisk();

        Assert.Equal(256, ResidentPages(path));
    }

    private static int ReadAll(ISpoolFile file, byte[] buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int read = file.Read(buffer.AsSpan(total, Math.Min(64 * 1024, buffer.Length - total)), total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    private static byte[] Pattern(int length, int seed = 1)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    private static int ResidentPages(string path)
    {
        long length = new FileInfo(path).Length;
        using var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        using MemoryMappedViewAccessor view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
        int pages = (int)((length + PageSize - 1) / PageSize);
        nint vector = Marshal.AllocHGlobal(pages);
        try
        {
            // A view at offset 0 starts on a page boundary: the handle's address is the mapping's.
            nint start = view.SafeMemoryMappedViewHandle.DangerousGetHandle() + (nint)view.PointerOffset;
            Assert.Equal(0, MinCore(start, (nuint)length, vector));
            int resident = 0;
            for (int i = 0; i < pages; i++)
            {
                resident += Marshal.ReadByte(vector, i) & 1;
            }

            return resident;
        }
        finally
        {
            Marshal.FreeHGlobal(vector);
        }
    }

    [DllImport("libc.so.6", EntryPoint = "mincore", SetLastError = true)]
    private static extern int MinCore(nint address, nuint length, nint vector);
}
