namespace XraySyslogSink.Tests;

/// <summary>The checkout the tests run from: the folder holding <c>XraySyslogSink.sln</c>, above the test binaries.</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        string? directory = AppContext.BaseDirectory;
        while (directory is not null && !File.Exists(Path.Combine(directory, "XraySyslogSink.sln")))
        {
            directory = Path.GetDirectoryName(directory);
        }

        return directory ?? throw new InvalidOperationException("repository root not found");
    }
}
