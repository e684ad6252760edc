using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using XraySyslogSink.Storage;

namespace XraySyslogSink.Hosting;

/// <summary><c>xraysink migrate</c>: applies the schema (and today's and tomorrow's partitions), then exits.</summary>
internal static class MigrateCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        IConfigurationRoot configuration = SinkHost.BuildConfiguration(args);
        var schema = new SchemaOptions();
        configuration.GetSection(SchemaOptions.SectionName).Bind(schema);
        await using NpgsqlDataSource dataSource = SinkHost.CreateDataSource(configuration);
        using ILoggerFactory loggers = LoggerFactory.Create(builder => builder.AddSimpleConsoleIfAvailable());
        var migrator = new SchemaMigrator(dataSource, schema, TimeProvider.System, loggers.CreateLogger<SchemaMigrator>());
        await migrator.ApplyAsync(CancellationToken.None);
        await Console.Out.WriteLineAsync("xraysink: schema is up to date");
        return 0;
    }

    private static ILoggingBuilder AddSimpleConsoleIfAvailable(this ILoggingBuilder builder) =>
        builder.AddProvider(NullLoggerProvider.Instance);
}
