using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using XraySyslogSink.Hosting;

namespace XraySyslogSink.Cli;

/// <summary>What a command talks to: its output streams, standard input, the clock and cancellation (Ctrl+C).</summary>
internal sealed class CliContext
{
    public CliContext(TextWriter output, TextWriter error, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        Out = output;
        Error = error;
        TimeProvider = timeProvider;
        CancellationToken = cancellationToken;
    }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    public TimeProvider TimeProvider { get; }

    public CancellationToken CancellationToken { get; }

    /// <summary>Standard input, for <c>xraysink import -</c>.</summary>
    public Func<Stream> OpenInput { get; init; } = Console.OpenStandardInput;

    /// <summary>Whether <see cref="Error"/> is a terminal, so a progress bar may redraw a line on it.</summary>
    public bool ErrorIsTerminal { get; init; }

    public static NpgsqlDataSource DataSource(IConfiguration configuration) => SinkHost.CreateDataSource(configuration);

    /// <summary>The reports' connection (<see cref="ReportsOptions"/>): the reader role, else the daemon's connection.</summary>
    public static NpgsqlDataSource ReportDataSource(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var reports = new ReportsOptions();
        configuration.GetSection(ReportsOptions.SectionName).Bind(reports);
        return string.IsNullOrWhiteSpace(reports.ConnectionString)
            ? DataSource(configuration)
            : SinkHost.CreateDataSource(
                ReportsOptions.ConnectionStringKey,
                reports.ConnectionString,
                ReportsOptions.SectionName,
                new Storage.DatabaseOptions { PasswordFile = reports.PasswordFile, Password = reports.Password });
    }

    /// <summary>Binds and validates a section with the daemon's validator, so a bad value is named the same way.</summary>
    public static TOptions Options<TOptions>(IConfiguration configuration, string section, IValidateOptions<TOptions> validator)
        where TOptions : class, new()
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(validator);
        var options = new TOptions();
        configuration.GetSection(section).Bind(options);
        ValidateOptionsResult result = validator.Validate(null, options);
        return result.Failed ? throw new OptionsValidationException(section, typeof(TOptions), result.Failures) : options;
    }

    /// <summary>Warnings and errors of the storage code, one line each on <see cref="Error"/>.</summary>
    public ILoggerFactory CreateLoggers() => LoggerFactory.Create(builder => builder.AddProvider(new StderrLoggerProvider(Error)));

    private sealed class StderrLoggerProvider(TextWriter error) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                error.WriteLine($"xraysink: {(logLevel == LogLevel.Warning ? "warning" : "error")}: {formatter(state, exception)}");
            }
        }

        public void Dispose()
        {
        }
    }
}
