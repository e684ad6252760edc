using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using Npgsql;
using Testcontainers.PostgreSql;

namespace XraySyslogSink.IntegrationTests.Infrastructure;

/// <summary>
/// One PostgreSQL server shared by the integration tests: the one named by <c>XRAYSINK_TEST_POSTGRES</c>,
/// else a Testcontainers <c>postgres:15</c> when a Docker engine answers. Tests fail, never skip, without one.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    public const string EnvironmentVariable = "XRAYSINK_TEST_POSTGRES";

    private const string DockerSocket = "/var/run/docker.sock";

    private readonly ConcurrentBag<string> _databases = [];
    private PostgreSqlContainer? _container;
    private string? _connectionString;

    /// <summary>Connection string of the server's maintenance database.</summary>
    public string ConnectionString => _connectionString ?? throw new InvalidOperationException("The fixture is not initialised.");

    public async Task InitializeAsync()
    {
        string? configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            _connectionString = configured.Trim();
        }
        else if (await IsDockerReachableAsync())
        {
            _container = new PostgreSqlBuilder("postgres:15").Build();
            await _container.StartAsync();
            _connectionString = _container.GetConnectionString();
        }
        else
        {
            throw new InvalidOperationException(
                $"no PostgreSQL reachable: run scripts/test.sh or set {EnvironmentVariable} (e.g. {EnvironmentVariable}=\"$(scripts/pg-local.sh start /tmp/pgx)\")");
        }

        // Fail early and clearly when the configured server does not answer.
        await using NpgsqlConnection connection = new(_connectionString);
        await connection.OpenAsync();
    }

    /// <summary>Creates a fresh, uniquely named database so that each test is isolated; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        // The name is generated here, never taken from input, so it can be spliced into the DDL.
        string name = "xraysink_test_" + Guid.NewGuid().ToString("N");
        await using (NpgsqlConnection connection = new(ConnectionString))
        {
            await connection.OpenAsync();
            await using NpgsqlCommand create = new($"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'", connection);
            await create.ExecuteNonQueryAsync();
        }

        _databases.Add(name);
        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    public async Task DisposeAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync();
            return;
        }

        if (_connectionString is null)
        {
            return;
        }

        // A shared server outlives the run: drop what the tests created (best effort).
        NpgsqlConnection.ClearAllPools();
        try
        {
            await using NpgsqlConnection connection = new(_connectionString);
            await connection.OpenAsync();
            foreach (string name in _databases)
            {
                await using NpgsqlCommand drop = new($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
                await drop.ExecuteNonQueryAsync();
            }
        }
        catch (NpgsqlException)
        {
        }
    }

    private static async Task<bool> IsDockerReachableAsync()
    {
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("DOCKER_HOST")))
        {
            return true;
        }

        if (!File.Exists(DockerSocket))
        {
            return false;
        }

        try
        {
            using Socket socket = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            using CancellationTokenSource timeout = new(TimeSpan.FromSeconds(3));
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(DockerSocket), timeout.Token);
            await socket.SendAsync(Encoding.ASCII.GetBytes("GET /_ping HTTP/1.0\r\n\r\n"), SocketFlags.None, timeout.Token);
            byte[] buffer = new byte[64];
            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            return read > 0 && Encoding.ASCII.GetString(buffer, 0, read).Contains(" 200 ", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            return false;
        }
    }
}
