namespace XraySyslogSink.IntegrationTests.Infrastructure;

/// <summary>The repository checkout the tests run from (found by its solution file above the test binaries).</summary>
public static class Repository
{
    public static string Root
    {
        get
        {
            DirectoryInfo? directory = new(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "XraySyslogSink.sln")))
            {
                directory = directory.Parent;
            }

            return directory?.FullName ?? throw new InvalidOperationException("cannot find the repository root above " + AppContext.BaseDirectory);
        }
    }
}
