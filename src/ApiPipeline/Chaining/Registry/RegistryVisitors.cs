namespace ApiPipeline;

/// <summary>
/// Typed code over an <see cref="ExtractorRegistration"/> known only at run time (a CLI, a DI container): <see cref="ExtractorRegistration.Accept"/>
/// calls <see cref="Visit"/> with the registration's input and record types, by generic virtual dispatch, so no reflection is needed.
/// </summary>
/// <typeparam name="TResult">What the visitor returns.</typeparam>
public interface IExtractorRegistrationVisitor<out TResult>
{
    /// <summary>Called with the registration's types.</summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The record type.</typeparam>
    /// <param name="registration">The registration.</param>
    TResult Visit<TIn, TOut>(ExtractorRegistration<TIn, TOut> registration);
}

/// <summary>
/// Typed code over a <see cref="ChainDefinition"/> known only at run time: <see cref="ChainDefinition.Accept"/> calls <see cref="Visit"/> with the
/// chain's input and record types.
/// </summary>
/// <typeparam name="TResult">What the visitor returns.</typeparam>
public interface IChainDefinitionVisitor<out TResult>
{
    /// <summary>Called with the chain's types.</summary>
    /// <typeparam name="TIn">The chain input.</typeparam>
    /// <typeparam name="TOut">The chain's records.</typeparam>
    /// <param name="definition">The definition.</param>
    TResult Visit<TIn, TOut>(ChainDefinition<TIn, TOut> definition);
}
