# Seed 002, "Autograd" section.
import tensorgraft as torch

N,D_in,H,D_out=64,1000,100,10

dtype=torch.float # データ型はfloat
device=torch.device("cpu") # CPUの場合
# device=torch.device("cuda:0") # GPUの場合

x=torch.randn(N,D_in,device=device,dtype=dtype,requires_grad=False)
y=torch.randn(N,D_out,device=device,dtype=dtype,requires_grad=False)

w1=torch.randn(D_in,H,device=device,dtype=dtype,requires_grad=True)
w2=torch.randn(H,D_out,device=device,dtype=dtype,requires_grad=True)

learning_rate=1e-6 # 学習率

for t in range(500): # エポックで繰り返す
    y_pred=x.mm(w1).clamp(min=0).mm(w2)
    loss=(y_pred-y).pow(2).sum()

    if t%100==99: # 100回ごとに表示
        print(t,loss.item())

    loss.backward()

    with torch.no_grad():
        w1-=learning_rate*w1.grad # w1の更新
        w2-=learning_rate*w2.grad # w2の更新

        w1.grad.zero_()
        w2.grad.zero_()
