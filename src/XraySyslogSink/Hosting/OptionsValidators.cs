using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Net;
using System.Reflection;
using Microsoft.Extensions.Options;
using XraySyslogSink.Core;
using XraySyslogSink.Listeners.Security;
using XraySyslogSink.Listeners;
using XraySyslogSink.Nodes;
using XraySyslogSink.Pipeline;
using XraySyslogSink.Spool;
using XraySyslogSink.Storage;
using XraySyslogSink.Telemetry;
using XraySyslogSink.Xray;

namespace XraySyslogSink.Hosting;

/// <summary>
/// Checks an options class at start and names every offending key as the operator writes it
/// (<c>Writer:BatchSize</c>), which the stock data-annotation messages do not.
/// </summary>
internal abstract class SectionValidator<TOptions> : IValidateOptions<TOptions>
    where TOptions : class
{
    protected SectionValidator(string sectionName) => SectionName = sectionName;

    protected string SectionName { get; }

    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        List<string> failures = [];
        foreach (PropertyInfo property in typeof(TOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            RangeAttribute? range = property.GetCustomAttribute<RangeAttribute>();
            if (range is not null && !range.IsValid(property.GetValue(options)))
            {
                failures.Add(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{Key(property.Name)} must be between {range.Minimum} and {range.Maximum} (got {property.GetValue(options)})"));
            }
        }

        ValidateMore(options, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    protected string Key(string property) => $"{SectionName}:{property}";

    protected void RequirePositive(TimeSpan value, string property, List<string> failures)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"{Key(property)} must be a positive time span such as 00:00:01 (got {value})");
        }
    }

    protected virtual void ValidateMore(TOptions options, List<string> failures)
    {
    }
}

internal sealed class ListenerOptionsValidator() : SectionValidator<ListenerOptions>(ListenerOptions.SectionName)
{
    protected override void ValidateMore(ListenerOptions options, List<string> failures)
    {
        if (!ListenAddress.TryParse(options.Udp, out _, out string? udpError))
        {
            failures.Add($"{Key(nameof(options.Udp))}: {udpError}");
        }

        if (!ListenAddress.TryParse(options.Tcp, out _, out string? tcpError))
        {
            failures.Add($"{Key(nameof(options.Tcp))}: {tcpError}");
        }

        if (!ListenAddress.TryParse(options.Relp, out IPEndPoint? relp, out string? relpError))
        {
            failures.Add($"{Key(nameof(options.Relp))}: {relpError}");
        }
        else if (relp is not null && relp.Port != 0 && ListenAddress.TryParse(options.Tcp, out IPEndPoint? tcp, out _) && tcp is not null && tcp.Port == relp.Port)
        {
            failures.Add($"{Key(nameof(options.Relp))} and {Key(nameof(options.Tcp))} cannot share port {relp.Port}");
        }

        if (options.MaxOctetCount < options.MaxMessageSize)
        {
            failures.Add($"{Key(nameof(options.MaxOctetCount))} must not be below {Key(nameof(options.MaxMessageSize))}");
        }

        RequirePositive(options.IdleTimeout, nameof(options.IdleTimeout), failures);
        RequirePositive(options.SendTimeout, nameof(options.SendTimeout), failures);
        foreach ((string name, TimeSpan value) in (ReadOnlySpan<(string, TimeSpan)>)[(nameof(options.EstablishedIdleTimeout), options.EstablishedIdleTimeout), (nameof(options.KeepAliveTime), options.KeepAliveTime)])
        {
            if (value < TimeSpan.Zero)
            {
                failures.Add($"{Key(name)} must be 00:00:00 (off) or a positive time span (got {value})");
            }
        }
        ValidateSecurity(options, failures);
    }

    private void ValidateSecurity(ListenerOptions options, List<string> failures)
    {
        var ports = new Dictionary<int, string>();
        foreach ((string name, string value) in (ReadOnlySpan<(string, string)>)[(nameof(options.Tcp), options.Tcp), (nameof(options.Relp), options.Relp), (nameof(options.Tls), options.Tls), (nameof(options.RelpTls), options.RelpTls)])
        {
            if (!ListenAddress.TryParse(value, out IPEndPoint? endPoint, out string? error))
            {
                if (name is nameof(options.Tls) or nameof(options.RelpTls))
                {
                    failures.Add($"{Key(name)}: {error}");
                }

                continue;
            }

            if (endPoint is null || endPoint.Port == 0)
            {
                continue;
            }

            if (ports.TryGetValue(endPoint.Port, out string? other))
            {
                // Tcp and Relp sharing a port is reported above.
                if (!(other == nameof(options.Tcp) && name == nameof(options.Relp)))
                {
                    failures.Add($"{Key(name)} and {Key(other)} cannot share port {endPoint.Port}");
                }
            }
            else
            {
                ports[endPoint.Port] = name;
            }
        }

        if (SourceFilter.Validate(options) is { } sourceError)
        {
            failures.Add(sourceError);
        }

        if (options.MaxBufferedBytesPerConnection < options.MaxMessageSize + 1024)
        {
            failures.Add($"{Key(nameof(options.MaxBufferedBytesPerConnection))} must be at least {Key(nameof(options.MaxMessageSize))} + 1024 (got {options.MaxBufferedBytesPerConnection})");
        }

        if (options.MaxConnectionsPerSource > options.MaxConnections)
        {
            failures.Add($"{Key(nameof(options.MaxConnectionsPerSource))} must not be above {Key(nameof(options.MaxConnections))}");
        }
    }
}

/// <summary>
/// Checks the <c>Tls</c> section when <c>Listeners:Tls</c> or <c>Listeners:RelpTls</c> is on: the files exist and load,
/// the key matches the certificate, and the allow lists make sense.
/// </summary>
internal sealed class TlsOptionsValidator(IOptions<ListenerOptions> listeners) : SectionValidator<TlsOptions>(TlsOptions.SectionName)
{
    protected override void ValidateMore(TlsOptions options, List<string> failures)
    {
        RequirePositive(options.HandshakeTimeout, nameof(options.HandshakeTimeout), failures);
        foreach (string fingerprint in options.AllowedClientFingerprints)
        {
            if (TlsCredentials.ParseFingerprint(fingerprint) is null)
            {
                failures.Add($"{Key(nameof(options.AllowedClientFingerprints))}: '{fingerprint}' is not a SHA-256 fingerprint (64 hex digits, colons allowed)");
            }
        }

        if (options.ClientCertificates != ClientCertificateMode.Require && (options.AllowedClientNames.Length > 0 || options.AllowedClientFingerprints.Length > 0))
        {
            // With Optional a node without a certificate is accepted, so the lists would restrict only the nodes that present one.
            failures.Add($"{Key(nameof(options.AllowedClientNames))} and {Key(nameof(options.AllowedClientFingerprints))} need {Key(nameof(options.ClientCertificates))}=Require (got {options.ClientCertificates}, which accepts a node without a certificate)");
        }

        ListenerOptions listening = listeners.Value;
        if (string.IsNullOrWhiteSpace(listening.Tls) && string.IsNullOrWhiteSpace(listening.RelpTls))
        {
            return;
        }

        try
        {
            TlsCredentials.Load(options).Certificate.Dispose();
        }
        catch (TlsConfigurationException ex)
        {
            failures.Add(ex.Message);
        }
    }
}

internal sealed class PipelineOptionsValidator() : SectionValidator<PipelineOptions>(PipelineOptions.SectionName)
{
    protected override void ValidateMore(PipelineOptions options, List<string> failures)
    {
        if (options.QueueMemoryBound > options.QueueMemoryLimit)
        {
            failures.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"{Key(nameof(options.MessageQueueBytes))} ({options.MessageQueueBytes}) plus {Key(nameof(options.RecordQueueCapacity))} × {RecordChunk.DefaultCapacity} records × {PipelineOptions.RecordBytesBound} bytes ({options.RecordQueueCapacity}) allow {options.QueueMemoryBound} bytes in memory, above {Key(nameof(options.QueueMemoryLimit))} ({options.QueueMemoryLimit}); lower them or raise the limit deliberately"));
        }
    }
}

internal sealed class WriterOptionsValidator() : SectionValidator<WriterOptions>(WriterOptions.SectionName)
{
    protected override void ValidateMore(WriterOptions options, List<string> failures)
    {
        RequirePositive(options.FlushInterval, nameof(options.FlushInterval), failures);
        RequirePositive(options.RetryInitialDelay, nameof(options.RetryInitialDelay), failures);
        RequirePositive(options.RetryMaxDelay, nameof(options.RetryMaxDelay), failures);
    }
}

internal sealed class XrayOptionsValidator() : SectionValidator<XrayOptions>(XrayOptions.SectionName)
{
    private static readonly TimeSpan MaxAcceptWindow = TimeSpan.FromDays(3650);

    protected override void ValidateMore(XrayOptions options, List<string> failures)
    {
        if (!SenderTimeZones.TryFindZone(options.TimeZone, out _))
        {
            failures.Add($"{Key(nameof(options.TimeZone))}: '{options.TimeZone}' is not a known IANA time zone");
        }

        foreach ((string sender, string zone) in options.SenderTimeZones)
        {
            if (!SenderTimeZones.TryFindZone(zone, out _))
            {
                failures.Add($"{Key(nameof(options.SenderTimeZones))}:{sender}: '{zone}' is not a known IANA time zone");
            }
        }

        RequireWindow(options.AcceptWindowBack, nameof(options.AcceptWindowBack), failures);
        RequireWindow(options.AcceptWindowAhead, nameof(options.AcceptWindowAhead), failures);
    }

    private void RequireWindow(TimeSpan value, string property, List<string> failures)
    {
        if (value <= TimeSpan.Zero || value > MaxAcceptWindow)
        {
            failures.Add($"{Key(property)} must be a time span above 00:00:00 and at most 3650.00:00:00 (got {value})");
        }
    }
}

internal sealed class CacheOptionsValidator() : SectionValidator<DimensionCacheOptions>(DimensionCacheOptions.SectionName);

internal sealed class SchemaOptionsValidator() : SectionValidator<SchemaOptions>(SchemaOptions.SectionName)
{
    protected override void ValidateMore(SchemaOptions options, List<string> failures)
    {
        foreach ((string name, string role) in (ReadOnlySpan<(string, string)>)[(nameof(options.WriterRole), options.WriterRole), (nameof(options.ReaderRole), options.ReaderRole)])
        {
            if (!SchemaMigrator.IsValidRoleName(role))
            {
                failures.Add($"{Key(name)} must be empty or a role name of letters, digits and _ (at most 63, not starting with a digit; got '{role}')");
            }
        }
    }
}

internal sealed class RetentionOptionsValidator() : SectionValidator<RetentionOptions>(RetentionOptions.SectionName)
{
    protected override void ValidateMore(RetentionOptions options, List<string> failures) =>
        RequirePositive(options.CheckInterval, nameof(options.CheckInterval), failures);
}

internal sealed class SpoolOptionsValidator() : SectionValidator<SpoolOptions>(SpoolOptions.SectionName)
{
    protected override void ValidateMore(SpoolOptions options, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(options.Directory))
        {
            failures.Add($"{Key(nameof(options.Directory))} must name a directory for the spool files");
        }

        if (string.IsNullOrWhiteSpace(options.CollectorId) || options.CollectorId.Length > 200)
        {
            failures.Add($"{Key(nameof(options.CollectorId))} must be 1 to 200 characters naming this collector (got '{options.CollectorId}')");
        }

        RequirePositive(options.SyncInterval, nameof(options.SyncInterval), failures);
        if (options.SyncInterval > TimeSpan.FromSeconds(10))
        {
            failures.Add($"{Key(nameof(options.SyncInterval))} must be at most 00:00:10, the loss window it sets (got {options.SyncInterval})");
        }
    }
}

internal sealed class MetricsOptionsValidator() : SectionValidator<MetricsOptions>(MetricsOptions.SectionName)
{
    protected override void ValidateMore(MetricsOptions options, List<string> failures)
    {
        if (!ListenAddress.TryParse(options.Listen, out IPEndPoint? endPoint, out string? error))
        {
            failures.Add($"{Key(nameof(options.Listen))}: {error}");
        }
        else if (endPoint is not null && endPoint.Port == 0)
        {
            failures.Add($"{Key(nameof(options.Listen))}: '{options.Listen}' needs a fixed port (the default is 127.0.0.1:9464)");
        }

        RequirePositive(options.HealthDatabaseCacheDuration, nameof(options.HealthDatabaseCacheDuration), failures);
        RequirePositive(options.HealthDatabaseTimeout, nameof(options.HealthDatabaseTimeout), failures);
    }
}

internal sealed class NodeOptionsValidator() : SectionValidator<NodeOptions>(NodeOptions.SectionName)
{
    protected override void ValidateMore(NodeOptions options, List<string> failures)
    {
        NodeIdentityResolver.Create(options, failures);
        RequirePositive(options.SilentAfter, nameof(options.SilentAfter), failures);
    }
}
