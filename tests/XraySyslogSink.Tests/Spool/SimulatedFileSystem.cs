using XraySyslogSink.Spool;

namespace XraySyslogSink.Tests.Spool;

/// <summary>
/// An in-memory file system that behaves like a disk under power loss: written bytes sit in a page cache
/// until <see cref="ISpoolFile.FlushToDisk"/>, and <see cref="Crash"/> keeps the synced bytes of each file plus
/// some random part of the rest, possibly damaged. Handles opened before a crash are dead afterwards (their
/// writes go nowhere), as the process that held them is. File creation and deletion are durable at once; between
/// <see cref="Crash"/> and <see cref="Restart"/> nothing changes.
/// </summary>
internal sealed class SimulatedFileSystem : ISpoolFileSystem
{
    private readonly object _gate = new();
    private readonly Dictionary<string, SimulatedFileData> _files = new(StringComparer.Ordinal);
    private int _epoch;
    private bool _frozen;

    public IReadOnlyCollection<string> Paths
    {
        get
        {
            lock (_gate)
            {
                return [.. _files.Keys];
            }
        }
    }

    /// <summary>Number of fsyncs so far.</summary>
    public int Flushes { get; private set; }

    /// <summary>Writes that did not start at the file's end so far: a spool writes each segment front to back.</summary>
    public int WritesNotAtTheEnd { get; private set; }

    public IDisposable LockDirectory(string directory) => new Unlock();

    public IReadOnlyList<string> List(string directory, string suffix)
    {
        lock (_gate)
        {
            return [.. _files.Keys.Where(p => Path.GetDirectoryName(p) == directory && p.EndsWith(suffix, StringComparison.Ordinal))];
        }
    }

    public ISpoolFile Create(string path)
    {
        lock (_gate)
        {
            if (_frozen)
            {
                return new Handle(this, path, -1);
            }

            _files[path] = new SimulatedFileData();
            return new Handle(this, path, _epoch);
        }
    }

    public ISpoolFile OpenRead(string path)
    {
        lock (_gate)
        {
            return _files.ContainsKey(path) ? new Handle(this, path, _epoch) : throw new FileNotFoundException(path);
        }
    }

    public long Length(string path)
    {
        lock (_gate)
        {
            return _files[path].Bytes.Count;
        }
    }

    public void Delete(string path)
    {
        lock (_gate)
        {
            if (_frozen)
            {
                return;
            }

            _files.Remove(path);
        }
    }

    public byte[]? ReadSmallFile(string path)
    {
        lock (_gate)
        {
            return _files.TryGetValue(path, out SimulatedFileData? file) ? [.. file.Bytes] : null;
        }
    }

    public void WriteSecretFile(string path, ReadOnlySpan<byte> contents)
    {
        lock (_gate)
        {
            var file = new SimulatedFileData();
            file.Bytes.AddRange(contents.ToArray());
            file.Durable = file.Bytes.Count;
            _files[path] = file;
        }
    }

    /// <summary>The whole contents of a file, for tests to damage or inspect.</summary>
    public byte[] Contents(string path)
    {
        lock (_gate)
        {
            return [.. _files[path].Bytes];
        }
    }

    /// <summary>Replaces a file's contents (as damage on the disk would), all of it durable.</summary>
    public void Replace(string path, byte[] contents)
    {
        lock (_gate)
        {
            SimulatedFileData file = _files[path];
            file.Bytes.Clear();
            file.Bytes.AddRange(contents);
            file.Durable = contents.Length;
        }
    }

    /// <summary>
    /// A power loss: each file keeps its synced bytes and a prefix of the unsynced rest chosen by
    /// <paramref name="keep"/> (given the unsynced length); <paramref name="damage"/> may then alter bytes of that kept,
    /// never-synced stretch (given the file contents and the first unsynced offset). Open handles die.
    /// </summary>
    public void Crash(Func<int, int> keep, Action<byte[], int>? damage = null)
    {
        lock (_gate)
        {
            _epoch++;
            _frozen = true;
            foreach (SimulatedFileData file in _files.Values)
            {
                int unsynced = file.Bytes.Count - file.Durable;
                int kept = Math.Clamp(keep(unsynced), 0, unsynced);
                file.Bytes.RemoveRange(file.Durable + kept, unsynced - kept);
                if (damage is not null && kept > 0)
                {
                    byte[] bytes = [.. file.Bytes];
                    damage(bytes, file.Durable);
                    for (int i = file.Durable; i < bytes.Length; i++)
                    {
                        file.Bytes[i] = bytes[i];
                    }
                }

                file.Durable = file.Bytes.Count;
            }
        }
    }

    /// <summary>
    /// After <see cref="Crash"/> the file system ignores everything (the crashed process's last gasps) until
    /// the next process starts.
    /// </summary>
    public void Restart()
    {
        lock (_gate)
        {
            _frozen = false;
        }
    }

    private sealed class SimulatedFileData
    {
        public List<byte> Bytes { get; } = [];

        public int Durable { get; set; }
    }

    private sealed class Unlock : IDisposable
    {
        public void Dispose()
        {
        }
    }

    private sealed class Handle(SimulatedFileSystem owner, string path, int epoch) : ISpoolFile
    {
        public void Write(ReadOnlySpan<byte> data, long offset)
        {
            lock (owner._gate)
            {
                if (epoch != owner._epoch || !owner._files.TryGetValue(path, out SimulatedFileData? file))
                {
                    return;
                }

                if (offset != file.Bytes.Count)
                {
                    owner.WritesNotAtTheEnd++;
                }

                while (file.Bytes.Count < offset + data.Length)
                {
                    file.Bytes.Add(0);
                }

                for (int i = 0; i < data.Length; i++)
                {
                    file.Bytes[(int)offset + i] = data[i];
                }
            }
        }

        public int Read(Span<byte> buffer, long offset)
        {
            lock (owner._gate)
            {
                if (epoch != owner._epoch || !owner._files.TryGetValue(path, out SimulatedFileData? file) || offset >= file.Bytes.Count)
                {
                    return 0;
                }

                int count = (int)Math.Min(buffer.Length, file.Bytes.Count - offset);
                for (int i = 0; i < count; i++)
                {
                    buffer[i] = file.Bytes[(int)offset + i];
                }

                return count;
            }
        }

        public void FlushToDisk()
        {
            lock (owner._gate)
            {
                if (epoch == owner._epoch && owner._files.TryGetValue(path, out SimulatedFileData? file))
                {
                    file.Durable = file.Bytes.Count;
                    owner.Flushes++;
                }
            }
        }

        public void Dispose()
        {
        }
    }
}
