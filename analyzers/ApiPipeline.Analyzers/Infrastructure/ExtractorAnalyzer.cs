using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ApiPipeline.Analyzers;

/// <summary>
/// Base of every ApiPipeline analyzer. It enables concurrent execution, skips generated code, does nothing in compilations
/// that do not reference ApiPipeline, and calls <see cref="AnalyzeExtractor"/> once per <c>[Extractor]</c> class (and
/// <see cref="AnalyzeRegisteredExtractor"/> once per hand-written <c>[RegisteredExtractor]</c> class).
/// A new check is one class: its descriptors, <c>SupportedDiagnostics</c> and <see cref="AnalyzeExtractor"/> (or
/// <see cref="AnalyzeRegisteredExtractor"/>, <see cref="AnalyzeOtherType"/>).
/// </summary>
internal abstract class ExtractorAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public sealed override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var known = KnownTypes.TryCreate(start.Compilation);
            if (known is not null)
            {
                OnCompilationStart(start, known);
            }
        });
    }

    // One symbol action per named type; checks that compare extractors read ExtractorIndex from it, so their diagnostics stay local.
    private void OnCompilationStart(CompilationStartAnalysisContext start, KnownTypes known)
        => start.RegisterSymbolAction(
            symbol =>
            {
                var extractor = ExtractorContext.TryCreate(symbol, known);
                if (extractor is not null)
                {
                    AnalyzeExtractor(extractor);
                }
                else if (symbol.Symbol is INamedTypeSymbol type)
                {
                    if (RegisteredExtractorContext.TryCreate(symbol, type, known) is { } handWritten)
                    {
                        AnalyzeRegisteredExtractor(handWritten);
                    }

                    AnalyzeOtherType(symbol, type, known);
                }
            },
            SymbolKind.NamedType);

    /// <summary>Checks one <c>[Extractor]</c> class. Default: nothing.</summary>
    protected virtual void AnalyzeExtractor(ExtractorContext extractor)
    {
    }

    /// <summary>
    /// Checks one hand-written <c>[RegisteredExtractor]</c> class (it is also passed to <see cref="AnalyzeOtherType"/>). Default: nothing.
    /// </summary>
    protected virtual void AnalyzeRegisteredExtractor(RegisteredExtractorContext extractor)
    {
    }

    /// <summary>
    /// Checks a named type that is not an <c>[Extractor]</c> class: an attribute that only makes sense on one, or an extractor's input
    /// type (find its extractors in <see cref="ExtractorIndex.ByInput"/> and <see cref="ExtractorIndex.HandWrittenInputs"/>). Default: nothing.
    /// </summary>
    protected virtual void AnalyzeOtherType(SymbolAnalysisContext context, INamedTypeSymbol type, KnownTypes known)
    {
    }
}
