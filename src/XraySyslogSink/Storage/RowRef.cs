namespace XraySyslogSink.Storage;

/// <summary>Where a record of a batch lives: its chunk and its index in that chunk.</summary>
internal readonly record struct RowRef(int Chunk, int Index);
