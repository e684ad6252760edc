using XraySyslogSink.Core;

namespace XraySyslogSink.Storage;

internal sealed class CacheOptionsValidator() : SectionValidator<DimensionCacheOptions>(DimensionCacheOptions.SectionName);
