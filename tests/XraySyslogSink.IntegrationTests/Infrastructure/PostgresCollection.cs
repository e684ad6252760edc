namespace XraySyslogSink.IntegrationTests.Infrastructure;

/// <summary>Shares one <see cref="PostgresServer"/> across the database test classes.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL";
}
