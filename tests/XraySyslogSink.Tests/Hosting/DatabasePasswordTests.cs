using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Npgsql;
using XraySyslogSink.Hosting;
using XraySyslogSink.Storage;

namespace XraySyslogSink.Tests.Hosting;

/// <summary>The database password from a file or the environment, from exactly one place, never in a message.</summary>
public sealed class DatabasePasswordTests : IDisposable
{
    private const string Secret = "s3cr3t-Pa55-\u00e9";
    private readonly string _file = Path.Combine(Path.GetTempPath(), "xraysink-pw-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task The_password_file_is_read_without_its_trailing_newline()
    {
        await File.WriteAllTextAsync(_file, Secret + "\n");

        Assert.Null(DatabasePassword.Resolve(new DatabaseOptions { PasswordFile = _file }, null, out string? password));
        Assert.Equal(Secret, password);
    }

    [Fact]
    public async Task The_data_source_uses_the_password_from_the_file()
    {
        await File.WriteAllTextAsync(_file, Secret + "\r\n");
        IConfiguration configuration = Configuration(("ConnectionStrings:Postgres", "Host=127.0.0.1;Username=xraysink_writer"), ("Database:PasswordFile", _file));

        await using NpgsqlDataSource dataSource = SinkHost.CreateDataSource(configuration);

        // Persist Security Info is off, so what the data source shows never carries the password.
        Assert.DoesNotContain(Secret, dataSource.ConnectionString, StringComparison.Ordinal);
        Assert.Equal("xraysink_writer", new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).Username);
    }

    [Fact]
    public void The_password_may_come_from_the_environment_key()
    {
        Assert.Null(DatabasePassword.Resolve(new DatabaseOptions { Password = Secret }, null, out string? password));
        Assert.Equal(Secret, password);
    }

    [Theory]
    [InlineData(true, true, false)]
    [InlineData(true, false, true)]
    [InlineData(false, true, true)]
    public async Task Two_sources_at_once_are_refused_without_showing_the_password(bool inConnectionString, bool inFile, bool inEnvironment)
    {
        await File.WriteAllTextAsync(_file, Secret);
        var options = new DatabaseOptions { PasswordFile = inFile ? _file : string.Empty, Password = inEnvironment ? Secret : string.Empty };

        string? problem = DatabasePassword.Resolve(options, inConnectionString ? Secret : null, out _);

        Assert.NotNull(problem);
        Assert.Contains("more than one place", problem, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_or_empty_file_names_the_key_not_a_password()
    {
        string? missing = DatabasePassword.Resolve(new DatabaseOptions { PasswordFile = _file }, null, out _);
        Assert.StartsWith("Database:PasswordFile", missing, StringComparison.Ordinal);

        File.WriteAllText(_file, "\n");
        Assert.Contains("is empty", DatabasePassword.Resolve(new DatabaseOptions { PasswordFile = _file }, null, out _), StringComparison.Ordinal);
    }

    [Fact]
    public void An_invalid_connection_string_is_reported_with_its_password_masked()
    {
        IConfiguration configuration = Configuration(("ConnectionStrings:Postgres", $"Host=127.0.0.1;Password={Secret};Port={Secret}"));

        OptionsValidationException error = Assert.Throws<OptionsValidationException>(() => SinkHost.CreateDataSource(configuration));

        Assert.Contains("ConnectionStrings:Postgres", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, error.Message, StringComparison.Ordinal);
        Assert.All(error.Failures, f => Assert.DoesNotContain(Secret, f, StringComparison.Ordinal));
    }

    public void Dispose() => File.Delete(_file);

    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();
}
