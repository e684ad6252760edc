using System.Globalization;
using XraySyslogSink.Core;

namespace XraySyslogSink.Pipeline;

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
