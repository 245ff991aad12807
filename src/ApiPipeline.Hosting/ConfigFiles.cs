using System.Diagnostics.CodeAnalysis;

namespace ApiPipeline.Hosting;

/// <summary>Reads a YAML file as a chain file (<c>chain_id:</c>) or a pipeline file (<c>pipeline_id:</c>).</summary>
internal static class ConfigFiles
{
    /// <summary>
    /// Parses the file once and resolves it as a chain when its top-level keys are a chain's (<c>chain_id</c>; without it or
    /// <c>pipeline_id</c>, <c>extractors</c>), however they are written, otherwise as a pipeline (whose loader then points at a typo in
    /// <c>extractor</c>). Returns whether it is a chain.
    /// </summary>
    /// <exception cref="ConfigException">The file is not valid YAML, or the chain or pipeline in it is wrong.</exception>
    public static bool LoadChainOrPipeline(string path, ComponentRegistry registry, [NotNullWhen(true)] out LoadedChain? chain, [NotNullWhen(false)] out LoadedPipeline? pipeline)
    {
        var doc = YamlDocument.Parse(File.ReadAllText(path), path);
        chain = null;
        pipeline = null;
        if (doc.HasKey("chain_id") || (!doc.HasKey("pipeline_id") && doc.HasKey("extractors")))
        {
            chain = ChainConfig.Resolve(doc, registry);
            return true;
        }

        pipeline = PipelineConfig.Resolve(doc, registry);
        return false;
    }
}
