namespace XraySyslogSink.Core;

/// <summary>
/// A reference to a row of a dimension table (users, protocols, endpoints, tags). A value the
/// cache already knows carries only its <see cref="Id"/>; a value seen for the first time carries
/// its <see cref="Text"/> and the writer resolves it to an id before the row is copied.
/// <c>default</c> is SQL NULL.
/// </summary>
internal readonly struct DimensionValue
{
    public DimensionValue(int id)
    {
        Id = id;
        Text = null;
    }

    public DimensionValue(string text)
    {
        Id = 0;
        Text = text;
    }

    public int Id { get; }

    public string? Text { get; }

    public bool IsNull => Id == 0 && Text is null;

    public bool IsResolved => Id != 0;
}
