# Seed 002, "autogradの関数を自分で定義" section (custom autograd.Function MyReLU).
import tensorgraft as torch

class MyReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx,input):
        ctx.save_for_backward(input)

        return input.clamp(min=0)

    @staticmethod
    def backward(ctx,grad_output):
        input,=ctx.saved_tensors
        grad_input=grad_output.clone()
        grad_input[input<0]=0

        return grad_input

dtype=torch.float
device=torch.device("cpu") # CPUで実行
# device=torch.device("cuda:0") # GPUで実行

N,D_in,H,D_out=64,1000,100,10

x=torch.randn(N,D_in,device=device,dtype=dtype)
y=torch.randn(N,D_out,device=device,dtype=dtype)

w1=torch.randn(D_in,H,device=device,dtype=dtype,requires_grad=True)
w2=torch.randn(H,D_out,device=device,dtype=dtype,requires_grad=True)

learning_rate=1e-6 # 学習率

for t in range(500): # エポック
    relu=MyReLU.apply

    y_pred=relu(x.mm(w1)).mm(w2)

    loss=(y_pred-y).pow(2).sum() # SE

    if t%100==99: # 100エポックごとに表示
        print(t,loss.item())

    loss.backward()

    with torch.no_grad():
        w1-=learning_rate*w1.grad
        w2-=learning_rate*w2.grad

        w1.grad.zero_()
        w2.grad.zero_()
