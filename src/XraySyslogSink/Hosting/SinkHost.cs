using System.Threading.Channels;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NLog.Extensions.Logging;
using Npgsql;
using XraySyslogSink.Core;
using XraySyslogSink.Hosting.Reload;
using XraySyslogSink.Listeners;
using XraySyslogSink.Listeners.Security;
using XraySyslogSink.Nodes;
using XraySyslogSink.Pipeline;
using XraySyslogSink.Spool;
using XraySyslogSink.Storage;
using XraySyslogSink.Telemetry;
using XraySyslogSink.Xray;

namespace XraySyslogSink.Hosting;

/// <summary>The one place that knows every stage: configuration sources, logging and the service graph.</summary>
internal static class SinkHost
{
    public const string EnvironmentPrefix = "XRAYSINK_";

    /// <summary>Environment variable (or <c>--config</c>) naming an extra JSON settings file, e.g. <c>/etc/xraysink/appsettings.json</c>.</summary>
    public const string ConfigFileVariable = "XRAYSINK_CONFIG";

    public static readonly TimeSpan DefaultShutdownTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Settings in order of precedence, lowest first: <c>appsettings.json</c> beside the binary, the file named by
    /// <c>XRAYSINK_CONFIG</c> or <c>--config</c>, environment variables prefixed <c>XRAYSINK_</c>, then <c>--Key=Value</c>.
    /// </summary>
    public static IConfigurationRoot BuildConfiguration(string[] args)
    {
        var bootstrap = new ConfigurationBuilder().AddEnvironmentVariables(EnvironmentPrefix).AddCommandLine(args).Build();
        var builder = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false);
        string? extra = bootstrap["config"] ?? Environment.GetEnvironmentVariable(ConfigFileVariable);
        if (!string.IsNullOrWhiteSpace(extra))
        {
            builder.AddJsonFile(Path.GetFullPath(extra), optional: false, reloadOnChange: false);
        }

        return builder.AddEnvironmentVariables(EnvironmentPrefix).AddCommandLine(args).Build();
    }

    /// <summary>Builds the daemon. <paramref name="configureLogging"/> replaces NLog (tests use it).</summary>
    public static IHost Build(string[] args, Action<ILoggingBuilder>? configureLogging = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
            DisableDefaults = true,
        });
        builder.Configuration.AddConfiguration(BuildConfiguration(args));
        ConfigureLogging(builder, configureLogging);
        AddSinkServices(builder.Services, builder.Configuration, () => BuildConfiguration(args));
        builder.Services.AddSystemd();
        return builder.Build();
    }

    internal static void ConfigureLogging(HostApplicationBuilder builder, Action<ILoggingBuilder>? configureLogging)
    {
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        if (configureLogging is not null)
        {
            configureLogging(builder.Logging);
            return;
        }

        builder.Logging.AddNLog(NLogConfigPath(builder.Configuration));
    }

    /// <summary>The files settings are read from: appsettings.json beside the binary, the extra file, NLog.config.</summary>
    internal static IEnumerable<string> SettingsFiles(IConfiguration configuration)
    {
        yield return Path.Combine(AppContext.BaseDirectory, "appsettings.json");
        string? extra = configuration["config"] ?? Environment.GetEnvironmentVariable(ConfigFileVariable);
        if (!string.IsNullOrWhiteSpace(extra))
        {
            yield return Path.GetFullPath(extra);
        }

        yield return NLogConfigPath(configuration);
    }

    /// <summary>NLog.config beside the extra settings file when there is one (so /etc/xraysink holds both), else beside the binary.</summary>
    internal static string NLogConfigPath(IConfiguration configuration)
    {
        string? extra = configuration["config"] ?? Environment.GetEnvironmentVariable(ConfigFileVariable);
        if (!string.IsNullOrWhiteSpace(extra))
        {
            string candidate = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(extra)) ?? ".", "NLog.config");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return Path.Combine(AppContext.BaseDirectory, "NLog.config");
    }

    /// <param name="readConfiguration">Reads the configuration anew for a reload (SIGHUP); without it a reload re-applies <paramref name="configuration"/>.</param>
    internal static void AddSinkServices(IServiceCollection services, IConfiguration configuration, Func<IConfiguration>? readConfiguration = null)
    {
        services.AddSingleton(TimeProvider.System);
        services.Configure<HostOptions>(options =>
        {
            options.ShutdownTimeout = configuration.GetValue("ShutdownTimeout", DefaultShutdownTimeout);
            options.ServicesStartConcurrently = false;
            options.ServicesStopConcurrently = false;
        });

        AddOptions<ListenerOptions, ListenerOptionsValidator>(services, configuration, ListenerOptions.SectionName);
        AddOptions<PipelineOptions, PipelineOptionsValidator>(services, configuration, PipelineOptions.SectionName);
        AddOptions<WriterOptions, WriterOptionsValidator>(services, configuration, WriterOptions.SectionName);
        AddOptions<XrayOptions, XrayOptionsValidator>(services, configuration, XrayOptions.SectionName);
        AddOptions<DimensionCacheOptions, CacheOptionsValidator>(services, configuration, DimensionCacheOptions.SectionName);
        AddOptions<SchemaOptions, SchemaOptionsValidator>(services, configuration, SchemaOptions.SectionName);
        AddOptions<SpoolOptions, SpoolOptionsValidator>(services, configuration, SpoolOptions.SectionName);
        AddOptions<TlsOptions, TlsOptionsValidator>(services, configuration, TlsOptions.SectionName);
        AddOptions<RetentionOptions, RetentionOptionsValidator>(services, configuration, RetentionOptions.SectionName);
        AddOptions<MetricsOptions, MetricsOptionsValidator>(services, configuration, MetricsOptions.SectionName);
        AddOptions<NodeOptions, NodeOptionsValidator>(services, configuration, NodeOptions.SectionName);
        AddOptions<RuntimeOptions, RuntimeOptionsValidator>(services, configuration, RuntimeOptions.SectionName);
        services.AddConfigurationReload(configuration, readConfiguration);
        services.AddSingleton<SinkHealth>();
        services.AddSingleton<IReadinessProbe>(sp => sp.GetRequiredService<SinkHealth>());
        services.AddMetricsEndpoint(configuration, sp => Value<WriterOptions>(sp).FlushInterval);

        services.AddSingleton(_ => CreateDataSource(configuration));
        services.AddSingleton<SinkMetrics>();
        services.AddSingleton<SinkChannels>(sp => new SinkChannels(Value<PipelineOptions>(sp), sp.GetRequiredService<SinkMetrics>()));
        // The listeners and the spool feed the message queue without knowing the pipeline that owns it.
        services.AddSingleton(sp => sp.GetRequiredService<SinkChannels>().Messages.Writer);
        services.AddSingleton(sp => new SenderTimeZones(Value<XrayOptions>(sp)));
        services.AddSingleton(sp => new DimensionCaches(Value<DimensionCacheOptions>(sp)));
        services.AddSingleton(sp => CreateNodeSeries(sp));
        services.AddSingleton(_ => new HostnameMismatches());
        services.AddSingleton(sp => NodeIdentityResolver.Create(Value<NodeOptions>(sp), []));
        services.AddSingleton(sp => new SchemaMigrator(
            sp.GetRequiredService<NpgsqlDataSource>(),
            Value<SchemaOptions>(sp),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<SchemaMigrator>>())
        {
            WriterLimits = WriterLimitsFor(Value<RetentionOptions>(sp), Value<XrayOptions>(sp), Value<SchemaOptions>(sp)),
        });
        services.AddSingleton<IBatchStore>(sp => new PostgresLogStore(
            sp.GetRequiredService<NpgsqlDataSource>(),
            sp.GetRequiredService<DimensionCaches>(),
            sp.GetRequiredService<ILogger<PostgresLogStore>>())
        {
            CollectorId = Value<SpoolOptions>(sp).CollectorId,
            NewValues = CreateNewValueLimit(sp),
            NodeSeries = sp.GetRequiredService<NodeSeries>(),
        });
        services.AddSingleton(sp =>
        {
            long queueBytes = Value<PipelineOptions>(sp).MessageQueueBytes;
            // The message buffers kept idle for reuse: a quarter of what the queue may hold in use.
            MessageBufferPool.Shared.MaxRetainedBytes = queueBytes / 4;
            return new MessageQueueBudget(queueBytes);
        });
        services.AddSingleton(sp => CreateDeadLetterBudget(Value<PipelineOptions>(sp), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new MessageSpool(
            Value<SpoolOptions>(sp),
            sp.GetRequiredService<ChannelWriter<ReceivedMessage>>(),
            ct => SpoolCheckpoints.ReadAsync(sp.GetRequiredService<NpgsqlDataSource>(), Value<SpoolOptions>(sp).CollectorId, ct),
            sp.GetRequiredService<SinkMetrics>(),
            sp.GetRequiredService<ILogger<MessageSpool>>(),
            sp.GetRequiredService<MessageQueueBudget>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IMessageSpool>(sp => sp.GetRequiredService<MessageSpool>());
        services.AddSingleton<ISpoolProgress>(sp => sp.GetRequiredService<MessageSpool>());
        services.AddSingleton<SourceFilter>();
        services.AddSingleton<ListenerSupervisor>();

        // Started in this order and stopped in reverse: listeners stop first, the writer drains, the spool
        // syncs and closes last, and the reporter (first in, last out) writes its final line after the drain.
        // The spool opens after the schema (it reads its checkpoint) and before the writer (which starts there).
        // The JIT warm-up begins as the host starts (beside the schema's migration) and is waited for here, before
        // the spool's replay and the listeners: the per-row code compiles at start, not in the first batches.
        services.AddHostedService<ThroughputReporter>();
        services.AddHostedService<DatabaseInitializer>();
        services.AddHostedService<PartitionMaintenanceService>();
        services.AddSingleton<JitWarmUpService>();
        services.AddHostedService(sp => sp.GetRequiredService<JitWarmUpService>());
        services.AddHostedService(sp => sp.GetRequiredService<MessageSpool>());
        services.AddHostedService<BatchingWriter>();
        services.AddHostedService<ParserWorkers>();
        services.AddHostedService(sp => sp.GetRequiredService<ListenerSupervisor>());
    }

    internal static NpgsqlDataSource CreateDataSource(IConfiguration configuration)
    {
        var database = new DatabaseOptions();
        configuration.GetSection(DatabaseOptions.SectionName).Bind(database);
        return CreateDataSource("ConnectionStrings:Postgres", configuration.GetConnectionString("Postgres"), DatabaseOptions.SectionName, database);
    }

    /// <summary>
    /// A data source for <paramref name="connectionString"/> (the setting <paramref name="key"/>) with its password
    /// from exactly one place: the string itself or <paramref name="passwords"/> (section <paramref name="passwordSection"/>).
    /// </summary>
    internal static NpgsqlDataSource CreateDataSource(string key, string? connectionString, string passwordSection, DatabaseOptions passwords)
    {
        ArgumentNullException.ThrowIfNull(passwords);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw ConnectionError(key, $"{key} is empty: set the PostgreSQL connection string");
        }

        NpgsqlConnectionStringBuilder parsed;
        try
        {
            parsed = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            // The message may quote part of the string; a password in it never leaves this method.
            throw ConnectionError(key, $"{key} is not a valid connection string: {DatabasePassword.Redact(ex.Message, connectionString)}");
        }

        if (DatabasePassword.Resolve(passwords, parsed.Password, out string? password, key, passwordSection) is { } problem)
        {
            throw ConnectionError(passwordSection, problem);
        }

        parsed.Password = password;
        parsed.ApplicationName ??= "xraysink";
        return new NpgsqlDataSourceBuilder(parsed.ConnectionString).Build();
    }

    private static OptionsValidationException ConnectionError(string key, string message) =>
        new(key, typeof(NpgsqlDataSource), [message]);

    /// <summary>One dead-letter budget for every parser worker and the writer's parked rows (a source's share is of the whole).</summary>
    private static DeadLetterBudget CreateDeadLetterBudget(PipelineOptions options, TimeProvider timeProvider) =>
        new(options.DeadLettersPerSecond, options.DeadLetterBytesPerDay, options.DeadLetterSourceSharePercent, timeProvider);

    /// <summary>The daemon's cap on new dimension rows (live traffic only), reported by the metrics; null when off.</summary>
    private static NewValueLimit? CreateNewValueLimit(IServiceProvider services)
    {
        int perMinute = Value<DimensionCacheOptions>(services).MaxNewValuesPerMinute;
        if (perMinute == 0)
        {
            return null;
        }

        var limit = new NewValueLimit(
            perMinute, services.GetRequiredService<DeadLetterBudget>(), services.GetRequiredService<TimeProvider>(), Value<NodeOptions>(services).MaxNewPerMinute);
        services.GetRequiredService<SinkMetrics>().TrackNewValues(limit);
        return limit;
    }

    /// <summary>The per-node series, the configured nodes taking theirs first; reported by the metrics.</summary>
    private static NodeSeries CreateNodeSeries(IServiceProvider services)
    {
        NodeOptions options = Value<NodeOptions>(services);
        var series = new NodeSeries(options.MaxSeries, options.SilentAfter);
        series.Preload(NodeIdentityResolver.ConfiguredNames(options));
        services.GetRequiredService<SinkMetrics>().TrackNodes(series);
        return series;
    }

    private static T Value<T>(IServiceProvider services)
        where T : class => services.GetRequiredService<IOptions<T>>().Value;

    private static void AddOptions<TOptions, TValidator>(IServiceCollection services, IConfiguration configuration, string section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddOptions<TOptions>().Bind(configuration.GetSection(section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
    }

    /// <summary>The writer role's limits that match these settings (stored when the migration runs as the owner).</summary>
    internal static WriterLimits WriterLimitsFor(RetentionOptions retention, XrayOptions xray, SchemaOptions schema) =>
        WriterLimits.For(retention.Days, xray.AcceptWindowBack, xray.AcceptWindowAhead, schema.PrecreateDays, retention.DeadLetterDays);
}
