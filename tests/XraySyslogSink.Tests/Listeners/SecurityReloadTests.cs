using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using XraySyslogSink.Core;
using XraySyslogSink.Listeners;
using XraySyslogSink.Listeners.Security;

namespace XraySyslogSink.Tests.Listeners;

public sealed class SecurityReloadTests
{
    [Fact]
    public void A_configuration_reload_installs_the_new_allow_lists()
    {
        var memory = new Dictionary<string, string?> { ["Listeners:AllowedSources:0"] = "10.0.0.0/8" };
        IConfigurationRoot configuration = new ConfigurationBuilder().AddInMemoryCollection(memory).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddOptions<ListenerOptions>().Bind(configuration.GetSection(ListenerOptions.SectionName));
        services.AddSingleton<SourceFilter>();
        using ServiceProvider provider = services.BuildServiceProvider();
        SourceFilter filter = provider.GetRequiredService<SourceFilter>();
        InetValue loopback = InetValue.FromIPv4(0x7F000001);
        Assert.False(filter.For(ListenerKind.Tcp).Allows(loopback));

        configuration["Listeners:AllowedSources:0"] = "127.0.0.0/8";
        configuration.Reload();
        Assert.True(filter.For(ListenerKind.Tcp).Allows(loopback));

        // A list that does not parse leaves the previous one in force.
        configuration["Listeners:AllowedSources:0"] = "127.0.0.0/99";
        configuration.Reload();
        Assert.True(filter.For(ListenerKind.Tcp).Allows(loopback));
        Assert.False(filter.For(ListenerKind.Tcp).Allows(InetValue.FromIPv4(0x0A000001)));
    }

    [Fact]
    public void A_misdirected_TLS_client_is_logged_once_per_address()
    {
        var logger = new CountingLogger();
        var misdirected = new MisdirectedTls(logger);
        InetValue first = InetValue.FromIPv4(0xC0000201);
        InetValue second = InetValue.FromIPv4(0xC0000202);
        for (int i = 0; i < 5; i++)
        {
            misdirected.Report(first, null, "Listeners:Tcp", "Listeners:Tls");
        }

        misdirected.Report(second, null, "Listeners:Tcp", "Listeners:Tls");
        Assert.Equal(2, logger.Warnings);
        Assert.Contains("point the node at Listeners:Tls", logger.Last, StringComparison.Ordinal);
    }

    private sealed class CountingLogger : ILogger
    {
        public int Warnings { get; private set; }

        public string Last { get; private set; } = "";

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning)
            {
                Warnings++;
                Last = formatter(state, exception);
            }
        }
    }
}
