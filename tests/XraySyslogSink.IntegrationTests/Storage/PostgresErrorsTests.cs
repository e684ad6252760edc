using System.Net.Sockets;
using Npgsql;
using XraySyslogSink.Storage;

namespace XraySyslogSink.IntegrationTests.Storage;

public sealed class PostgresErrorsTests
{
    [Theory]
    [InlineData("57P01", true)]
    [InlineData("57P03", true)]
    [InlineData("53300", true)]
    [InlineData("08006", true)]
    [InlineData("40001", true)]
    [InlineData("40P01", true)]
    [InlineData("22001", false)]
    [InlineData("23503", false)]
    [InlineData("42P01", false)]
    public void Classifies_server_errors(string sqlState, bool transient)
    {
        PostgresException e = new("message", "ERROR", "ERROR", sqlState);
        Assert.Equal(transient, PostgresErrors.IsTransient(e));
        Assert.Equal(sqlState[0] == '2' && sqlState[1] is '2' or '3', PostgresErrors.IsRowError(e));
    }

    [Fact]
    public void Network_failures_are_transient()
    {
        Assert.True(PostgresErrors.IsTransient(new NpgsqlException("lost", new IOException("reset", new SocketException(104)))));
        Assert.True(PostgresErrors.IsTransient(new TimeoutException()));
        Assert.False(PostgresErrors.IsTransient(new InvalidOperationException("bug")));
    }

    [Fact]
    public async Task A_refused_connection_is_transient()
    {
        // Port 1 on loopback is not a PostgreSQL server.
        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=x;Timeout=2");
        Exception e = await Assert.ThrowsAnyAsync<Exception>(async () => await dataSource.OpenConnectionAsync());
        Assert.True(PostgresErrors.IsTransient(e), e.ToString());
    }
}
