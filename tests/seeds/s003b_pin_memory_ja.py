# Seed 003, example 3: tensors made with torch.empty(..., pin_memory=True).
# PyTorch's CPU-only build refuses pin_memory=True ("no pinned memory allocator"), a CUDA build
# pins host memory; tensorgraft accepts the flag everywhere (NumPy memory needs no pinning), so
# the tutorial's code runs. The gradient shape (3 values for a 1-element output) is an error in
# current PyTorch ("Mismatch in shape"), and in tensorgraft too.
import tensorgraft as torch

a = torch.empty(1, requires_grad = True, pin_memory=True)
b = torch.empty(1, requires_grad = True, pin_memory=True)
c = torch.empty(1, requires_grad = True, pin_memory=True)
y=3*a + 2*b*b + torch.log(c)
gradients = torch.FloatTensor([0.1, 1.0, 0.0001])
try:
    y.backward(gradients)
except RuntimeError as e:
    # PyTorch raises here too: y has 1 element, the gradient 3 ("Mismatch in shape")
    print("RuntimeError:", str(e).split(".")[0])
y.backward(gradients[:1])
print(a.grad)

