using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using XraySyslogSink.Core;
using XraySyslogSink.Hosting;
using XraySyslogSink.Listeners;
using XraySyslogSink.Tests.Telemetry;

namespace XraySyslogSink.Tests.Hosting;

/// <summary>Invalid settings stop the start with a message that names the key, before anything touches the network or the database.</summary>
[Collection(MeterProviderCollection.Name)]
public sealed class ConfigurationTests
{
    [Theory]
    [InlineData("--Listeners:Tcp=localhost:5514", "Listeners:Tcp")]
    [InlineData("--Listeners:Udp=1.2.3.4:99999", "Listeners:Udp")]
    [InlineData("--Listeners:Tcp=::1:5514", "Listeners:Tcp")]
    [InlineData("--Writer:BatchSize=0", "Writer:BatchSize")]
    [InlineData("--Writer:FlushInterval=00:00:00", "Writer:FlushInterval")]
    [InlineData("--Xray:TimeZone=Mars/Olympus", "Xray:TimeZone")]
    [InlineData("--Xray:SenderTimeZones:node1=Nowhere/Land", "Xray:SenderTimeZones:node1")]
    [InlineData("--Listeners:MaxMessageSize=10", "Listeners:MaxMessageSize")]
    [InlineData("--Listeners:UdpReceivers=65", "Listeners:UdpReceivers")]
    [InlineData("--Listeners:UdpReceivers=-1", "Listeners:UdpReceivers")]
    [InlineData("--Retention:Days=-1", "Retention:Days")]
    [InlineData("--Retention:CheckInterval=00:00:00", "Retention:CheckInterval")]
    [InlineData("--Schema:PrecreateDays=400", "Schema:PrecreateDays")]
    [InlineData("--Metrics:Listen=127.0.0.1:0", "Metrics:Listen")]
    [InlineData("--Metrics:Listen=localhost:9464", "Metrics:Listen")]
    [InlineData("--Metrics:HealthQueueHighWater=1.5", "Metrics:HealthQueueHighWater")]
    [InlineData("--Metrics:HealthDatabaseTimeout=00:00:00", "Metrics:HealthDatabaseTimeout")]
    [InlineData("--Xray:AcceptWindowBack=00:00:00", "Xray:AcceptWindowBack")]
    [InlineData("--Xray:AcceptWindowAhead=3651.00:00:00", "Xray:AcceptWindowAhead")]
    [InlineData("--Cache:MaxNewValuesPerMinute=-1", "Cache:MaxNewValuesPerMinute")]
    [InlineData("--Schema:WriterRole=writer;DROP TABLE logs", "Schema:WriterRole")]
    [InlineData("--Nodes:Networks:node-a:0=10.1.0.1/24", "Nodes:Networks:node-a")]
    [InlineData("--Nodes:Networks:node-a:0=10.1.0.0/24|--Nodes:Networks:node-b:0=10.1.0.0/24", "Nodes:Networks:node-")]
    [InlineData("--Nodes:CertificateNames:node-a:0=not-a-fingerprint", "Nodes:CertificateNames:node-a")]
    [InlineData("--Nodes:MaxSeries=0", "Nodes:MaxSeries")]
    [InlineData("--Nodes:MaxNewPerMinute=0", "Nodes:MaxNewPerMinute")]
    [InlineData("--Nodes:SilentAfter=00:00:00", "Nodes:SilentAfter")]
    [InlineData("--Pipeline:MessageQueueBytes=4294967296", "Pipeline:MessageQueueBytes")]
    [InlineData("--Pipeline:RecordQueueCapacity=100000", "Pipeline:MessageQueueBytes (67108864) plus Pipeline:RecordQueueCapacity")]
    public async Task Invalid_settings_fail_the_start_naming_the_key(string argument, string key)
    {
        using IHost host = SinkHost.Build([.. argument.Split('|'), "--ConnectionStrings:Postgres=Host=127.0.0.1;Port=1"], logging => logging.ClearProviders());

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(error.Failures, failure => failure.StartsWith(key, StringComparison.Ordinal));
    }

    [Fact]
    public void Defaults_match_the_documented_contract()
    {
        var listeners = new ListenerOptions();
        Assert.Equal("0.0.0.0:5514", listeners.Udp);
        Assert.Equal("0.0.0.0:5514", listeners.Tcp);
        Assert.Equal(8192, listeners.MaxMessageSize);
        Assert.Equal(0, listeners.UdpReceivers);
        var writer = new XraySyslogSink.Pipeline.WriterOptions();
        Assert.Equal(25_000, writer.BatchSize);
        Assert.Equal(TimeSpan.FromSeconds(1), writer.FlushInterval);
        Assert.Equal("UTC", new XraySyslogSink.Xray.XrayOptions().TimeZone);
        Assert.Equal(100_000, new XraySyslogSink.Storage.DimensionCacheOptions().MaxNewValuesPerMinute);
        Assert.Equal(string.Empty, new XraySyslogSink.Storage.SchemaOptions().WriterRole);
        Assert.Equal(string.Empty, new XraySyslogSink.Storage.DatabaseOptions().PasswordFile);
    }

    [Fact]
    public void Environment_variables_override_the_file_and_the_command_line_overrides_both()
    {
        Environment.SetEnvironmentVariable("XRAYSINK_Writer__BatchSize", "123");
        Environment.SetEnvironmentVariable("XRAYSINK_Writer__FlushInterval", "00:00:02");
        try
        {
            var configuration = SinkHost.BuildConfiguration(["--Writer:BatchSize=77"]);
            Assert.Equal("77", configuration["Writer:BatchSize"]);
            Assert.Equal("00:00:02", configuration["Writer:FlushInterval"]);
            Assert.Equal("0.0.0.0:5514", configuration["Listeners:Tcp"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable("XRAYSINK_Writer__BatchSize", null);
            Environment.SetEnvironmentVariable("XRAYSINK_Writer__FlushInterval", null);
        }
    }

    [Theory]
    [InlineData("0.0.0.0:5514", "0.0.0.0", 5514)]
    [InlineData("[::]:514", "::", 514)]
    [InlineData("127.0.0.1:0", "127.0.0.1", 0)]
    public void Listener_addresses_parse(string text, string address, int port)
    {
        Assert.True(ListenAddress.TryParse(text, out var endPoint, out _));
        Assert.Equal(address, endPoint!.Address.ToString());
        Assert.Equal(port, endPoint.Port);
    }

    [Fact]
    public void An_empty_listener_address_means_off()
    {
        Assert.True(ListenAddress.TryParse("", out var endPoint, out _));
        Assert.Null(endPoint);
    }
}
