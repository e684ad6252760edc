using XraySyslogSink.Core;

namespace XraySyslogSink.Storage;

internal sealed class RetentionOptionsValidator() : SectionValidator<RetentionOptions>(RetentionOptions.SectionName)
{
    protected override void ValidateMore(RetentionOptions options, List<string> failures) =>
        RequirePositive(options.CheckInterval, nameof(options.CheckInterval), failures);
}
