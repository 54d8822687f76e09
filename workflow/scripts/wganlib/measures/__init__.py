"""The numbers that judge samples and runs, from features and curves already computed: FID and KID
(``metrics``), precision, recall, density and coverage (``manifold``), classes and Stacked MNIST
modes (``modes``), and whether a run's FID curve has converged (``convergence``: the one rule
the training monitor and the summary share).

May import ``common`` only; NumPy, no TensorFlow.
"""
